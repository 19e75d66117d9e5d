// The in-memory zone data that the answer code reads. Built once per load; a
// reload builds a new ZoneSet and swaps it in whole. The one exception is the
// pool overlay (src/pools/overlay.ts), which owns copies of the nodes that hold
// pools and replaces a pool's RRset in place when its answer changes.
//
// Names and RDATA are latin1 strings holding wire bytes (see name.ts): compact,
// and written into a response with one buffer.write(str, 'latin1').

export const CLASS_IN = 1;
export const CLASS_CH = 3;

/** Where a record came from, for `file:line: message` errors. */
export interface SourcePos {
  file: string;
  line: number;
}

/** One record as the parser produces it. */
export interface ParsedRecord extends SourcePos {
  /** Owner in wire form, case as written. */
  owner: string;
  type: number;
  class: number;
  ttl: number;
  /** Uncompressed wire RDATA, names in the case written. */
  rdata: string;
}

export interface RRset {
  type: number;
  /** TTL of each record; RFC 2181 wants them equal, the loader warns when not. */
  ttls: number[];
  rdatas: string[];
  /** For CNAME, NS, MX, SRV (and SOA's MNAME): the target name of each record, folded, for additional-section and chain lookups. */
  targets?: string[];
  /** Set when a pool answers this RRset (then `rdatas` is its first variant). */
  pool?: PoolAnswer;
}

/** How a pool's RRset varies from query to query. */
export interface PoolAnswer {
  /** poolKey() of the pool, for invalidating the answers built from it. */
  key: string;
  /** Version of the pool's answer values: the store generation at which they took effect. */
  version: number;
  /** Alternative RDATA lists; the server encodes one response per variant. */
  variants: string[][];
  /** Cumulative weights to pick a variant by per query; absent: variants rotate. */
  cumulativeWeights?: number[];
  /** All members down with allDown nodata/servfail: no records, that answer instead. */
  outcome: 'answer' | 'nodata' | 'servfail';
}

export interface ZoneNode {
  /** Owner as first written (wire, case kept). */
  wire: string;
  /** Folded owner: the node's key in Zone.nodes. */
  key: string;
  /** Empty for an empty non-terminal. */
  rrsets: Map<number, RRset>;
  /** Set on a node below the apex that holds NS: a zone cut. */
  delegation: boolean;
}

export interface Zone {
  /** Origin in wire form, as first written. */
  origin: string;
  /** Folded origin. */
  key: string;
  /** The file the zone was loaded from. */
  file: string;
  /** Every name in the zone, including empty non-terminals, by folded wire key. */
  nodes: Map<string, ZoneNode>;
  apex: ZoneNode;
  /** Records loaded, for metrics and logs. */
  recordCount: number;
  /** SOA MINIMUM and SOA TTL, for negative answers (RFC 2308 §5). */
  negativeTtl: number;
}

export interface ZoneError {
  file: string;
  /** Absent when the problem is the file as a whole. */
  line?: number;
  message: string;
}

/** `file:line: message`, or `file: message` for the file as a whole. */
export function formatZoneError(e: ZoneError): string {
  return e.line === undefined ? `${e.file}: ${e.message}` : `${e.file}:${e.line}: ${e.message}`;
}
