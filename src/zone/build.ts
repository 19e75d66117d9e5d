// Turns a file's ParsedRecords into the Zone the answer code reads (model.ts),
// checking what a zone must be. Errors leave the zone unbuilt; warnings do not.

import { CLASS_IN, type ParsedRecord, type RRset, type Zone, type ZoneError, type ZoneNode } from './model.js';
import { foldCase, isAtOrBelow, nameToText, parentOf } from './name.js';
import { MAX_RDATA_LENGTH, targetOf } from './rdata.js';
import { TYPE, classToText, typeToText } from './types.js';

export interface BuiltZone {
  /** Missing when there are errors. */
  zone?: Zone;
  errors: ZoneError[];
  warnings: ZoneError[];
}

/** What a zone cut itself may hold: the delegation, its DS, and addresses if a name server is named after the cut. */
const TYPES_AT_CUT = new Set<number>([TYPE.NS, TYPE.DS, TYPE.A, TYPE.AAAA]);
const MINIMUM_FROM_END = 4;
/** Above this size an RRset gets a Set for duplicate checks, so a huge one does not go quadratic. */
const LINEAR_SCAN_LIMIT = 32;

export function buildZone(origin: string, file: string, records: readonly ParsedRecord[]): BuiltZone {
  return new ZoneBuilder(origin, file, records).build();
}

class ZoneBuilder {
  private readonly errors: ZoneError[] = [];
  private readonly warnings: ZoneError[] = [];
  private readonly originKey: string;
  private readonly apex: ZoneNode;
  private readonly nodes = new Map<string, ZoneNode>();
  /** Folded owners below the apex that hold NS. */
  private readonly cuts = new Set<string>();
  private readonly bigRRsets = new Map<RRset, Set<string>>();
  private recordCount = 0;
  // Records of one owner usually come together: remember the last lookup.
  private lastOwner = '';
  private lastKey = '';
  private lastCut: string | undefined;

  constructor(
    private readonly origin: string,
    private readonly file: string,
    private readonly records: readonly ParsedRecord[],
  ) {
    this.originKey = foldCase(origin);
    this.apex = newNode(origin, this.originKey);
    this.nodes.set(this.originKey, this.apex);
  }

  build(): BuiltZone {
    for (const record of this.records) {
      if (record.type !== TYPE.NS) continue;
      const key = foldCase(record.owner);
      if (key !== this.originKey && isAtOrBelow(key, this.originKey)) this.cuts.add(key);
    }
    for (const record of this.records) this.add(record);

    const soa = this.apex.rrsets.get(TYPE.SOA);
    if (soa === undefined) this.zoneError(`no SOA record at the apex ${nameToText(this.origin)}`);
    if (!this.apex.rrsets.has(TYPE.NS)) this.zoneError(`no NS records at the apex ${nameToText(this.origin)}`);
    if (soa === undefined || this.errors.length > 0) return { errors: this.errors, warnings: this.warnings };

    for (const key of this.cuts) {
      const node = this.nodes.get(key);
      // A cut below another cut lost its NS as occluded data.
      if (node !== undefined && node.rrsets.has(TYPE.NS)) node.delegation = true;
    }
    const zone: Zone = {
      origin: this.origin,
      key: this.originKey,
      file: this.file,
      nodes: this.nodes,
      apex: this.apex,
      recordCount: this.recordCount,
      negativeTtl: negativeTtl(soa),
    };
    return { zone, errors: this.errors, warnings: this.warnings };
  }

  private add(record: ParsedRecord): void {
    const { owner, type } = record;
    if (owner !== this.lastOwner) {
      this.lastOwner = owner;
      this.lastKey = foldCase(owner);
      this.lastCut = this.highestCutAbove(this.lastKey);
    }
    const key = this.lastKey;
    if (record.class !== CLASS_IN) {
      return this.reject(record, `class ${classToText(record.class)} is not served; records must be IN`);
    }
    if (!isAtOrBelow(key, this.originKey)) {
      return this.reject(record, `out-of-zone data: ${nameToText(owner)} is not in ${nameToText(this.origin)}`);
    }
    if (record.rdata.length > MAX_RDATA_LENGTH) {
      return this.reject(record, `RDATA of ${record.rdata.length} bytes is over the limit of ${MAX_RDATA_LENGTH}`);
    }
    if (type === TYPE.SOA && key !== this.originKey) {
      return this.reject(record, `SOA record at ${nameToText(owner)}; it belongs at the apex ${nameToText(this.origin)}`);
    }
    const occludedBy = this.occluder(key, type, this.lastCut);
    if (occludedBy !== undefined) {
      const cutName = nameToText(owner.slice(owner.length - occludedBy.length));
      this.warn(record, `${nameToText(owner)} ${typeToText(type)} occluded by delegation at ${cutName}; dropped`);
      return;
    }
    this.addToNode(this.nodeFor(key, owner), record);
  }

  private addToNode(node: ZoneNode, record: ParsedRecord): void {
    const { type, rdata, ttl } = record;
    if (node.rrsets.size > 0 && this.breaksCnameRule(node, record)) return;
    const rrset = node.rrsets.get(type);
    if (rrset === undefined) {
      const target = targetOf(type, rdata);
      node.rrsets.set(type, target === undefined ? { type, ttls: [ttl], rdatas: [rdata] } : { type, ttls: [ttl], rdatas: [rdata], targets: [target] });
      this.recordCount++;
      return;
    }
    if (!this.isNew(rrset, rdata)) return;
    if (type === TYPE.CNAME) return this.reject(record, `${nameToText(node.wire)} has more than one CNAME`);
    if (type === TYPE.SOA) return this.reject(record, 'second SOA record; a zone has exactly one');
    if (ttl !== rrset.ttls[0]) {
      this.warn(record, `TTL ${ttl} differs from ${rrset.ttls[0]} of the other ${nameToText(node.wire)} ${typeToText(type)} records (RFC 2181 §5.2); each keeps its own`);
    }
    rrset.ttls.push(ttl);
    rrset.rdatas.push(rdata);
    rrset.targets?.push(targetOf(type, rdata)!);
    this.recordCount++;
  }

  /** RFC 2181 §10.1: a CNAME is alone at its name. True, with an error, when `record` would break that. */
  private breaksCnameRule(node: ZoneNode, record: ParsedRecord): boolean {
    const hasCname = node.rrsets.has(TYPE.CNAME);
    if (record.type !== TYPE.CNAME && hasCname) {
      this.reject(record, `${nameToText(node.wire)} has a CNAME, so it cannot hold ${typeToText(record.type)} too (RFC 2181 §10.1)`);
      return true;
    }
    if (record.type === TYPE.CNAME && !hasCname) {
      const others = [...node.rrsets.keys()].map(typeToText).join(', ');
      this.reject(record, `${nameToText(node.wire)} has ${others}, so it cannot hold a CNAME too (RFC 2181 §10.1)`);
      return true;
    }
    return false;
  }

  /** False for an exact duplicate of a record already in the set: those merge silently. */
  private isNew(rrset: RRset, rdata: string): boolean {
    const seen = this.bigRRsets.get(rrset);
    if (seen !== undefined) {
      if (seen.has(rdata)) return false;
      seen.add(rdata);
      return true;
    }
    if (rrset.rdatas.includes(rdata)) return false;
    if (rrset.rdatas.length >= LINEAR_SCAN_LIMIT) this.bigRRsets.set(rrset, new Set(rrset.rdatas).add(rdata));
    return true;
  }

  /** The node for an owner, created along with the empty non-terminals between it and the apex. */
  private nodeFor(key: string, wire: string): ZoneNode {
    let node = this.nodes.get(key);
    if (node !== undefined) return node;
    node = newNode(wire, key);
    this.nodes.set(key, node);
    let ancestorKey = parentOf(key)!;
    let ancestorWire = parentOf(wire)!;
    while (!this.nodes.has(ancestorKey)) {
      this.nodes.set(ancestorKey, newNode(ancestorWire, ancestorKey));
      ancestorKey = parentOf(ancestorKey)!;
      ancestorWire = parentOf(ancestorWire)!;
    }
    return node;
  }

  /** The highest zone cut strictly between the apex and `key`: everything below it belongs to the child zone. */
  private highestCutAbove(key: string): string | undefined {
    if (this.cuts.size === 0) return undefined;
    let highest: string | undefined;
    for (let name = parentOf(key); name !== undefined && name.length > this.originKey.length; name = parentOf(name)) {
      if (this.cuts.has(name)) highest = name;
    }
    return highest;
  }

  /**
   * The cut that hides a record, if any: below a cut only glue addresses stay,
   * at a cut only what TYPES_AT_CUT allows.
   */
  private occluder(key: string, type: number, cutAbove: string | undefined): string | undefined {
    if (cutAbove !== undefined) return type === TYPE.A || type === TYPE.AAAA ? undefined : cutAbove;
    return this.cuts.has(key) && !TYPES_AT_CUT.has(type) ? key : undefined;
  }

  /** No line: the problem is the zone as a whole, not one line of it. */
  private zoneError(message: string): void {
    this.errors.push({ file: this.file, message });
  }

  private reject(record: ParsedRecord, message: string): void {
    this.errors.push({ file: record.file, line: record.line, message });
  }

  private warn(record: ParsedRecord, message: string): void {
    this.warnings.push({ file: record.file, line: record.line, message });
  }
}

function newNode(wire: string, key: string): ZoneNode {
  return { wire, key, rrsets: new Map(), delegation: false };
}

/** RFC 2308 §5: the lower of the SOA's own TTL and its MINIMUM field. */
function negativeTtl(soa: RRset): number {
  const rdata = soa.rdatas[0];
  const at = rdata.length - MINIMUM_FROM_END;
  const minimum = ((rdata.charCodeAt(at) << 24) | (rdata.charCodeAt(at + 1) << 16) | (rdata.charCodeAt(at + 2) << 8) | rdata.charCodeAt(at + 3)) >>> 0;
  return Math.min(soa.ttls[0], minimum);
}
