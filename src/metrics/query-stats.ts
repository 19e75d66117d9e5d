// Per-query counters kept in a typed array: one increment per query, no label
// objects or hashing on the hot path. The Prometheus registry reads them at
// scrape time (registry.ts).

export const TRANSPORTS = ['udp', 'tcp'] as const;
export type Transport = 0 | 1;
export const UDP: Transport = 0;
export const TCP: Transport = 1;

/** Query types with a label of their own; every other type counts as OTHER. */
const LABELLED_TYPES: Array<[number, string]> = [
  [1, 'A'], [2, 'NS'], [5, 'CNAME'], [6, 'SOA'], [12, 'PTR'], [15, 'MX'], [16, 'TXT'], [28, 'AAAA'],
  [33, 'SRV'], [35, 'NAPTR'], [43, 'DS'], [48, 'DNSKEY'], [64, 'SVCB'], [65, 'HTTPS'], [255, 'ANY'], [257, 'CAA'],
];
export const TYPE_LABELS = [...LABELLED_TYPES.map(([, label]) => label), 'OTHER'];
const OTHER_SLOT = TYPE_LABELS.length - 1;
const TYPE_SLOT = new Uint8Array(65536).fill(OTHER_SLOT);
LABELLED_TYPES.forEach(([type], slot) => (TYPE_SLOT[type] = slot));

export const RCODE_SLOTS = 32;
export const RCODE_LABELS = ['NOERROR', 'FORMERR', 'SERVFAIL', 'NXDOMAIN', 'NOTIMP', 'REFUSED', 'YXDOMAIN', 'YXRRSET', 'NXRRSET', 'NOTAUTH', 'NOTZONE'];
export function rcodeLabel(rcode: number): string {
  return rcode === 16 ? 'BADVERS' : (RCODE_LABELS[rcode] ?? `RCODE${rcode}`);
}

export class QueryStats {
  /** Indexed [transport][type slot][rcode]. */
  readonly queries = new Float64Array(TRANSPORTS.length * TYPE_LABELS.length * RCODE_SLOTS);
  cacheHits = 0;
  cacheMisses = 0;
  /** Packets given no answer: too short to hold a header, or responses. */
  dropped = 0;

  count(transport: Transport, qtype: number, rcode: number): void {
    this.queries[(transport * TYPE_LABELS.length + TYPE_SLOT[qtype]) * RCODE_SLOTS + (rcode & (RCODE_SLOTS - 1))]++;
  }

  /** Calls `visit` for each non-zero counter. */
  forEachQueryCount(visit: (transport: string, qtype: string, rcode: string, value: number) => void): void {
    const q = this.queries;
    for (let i = 0; i < q.length; i++) {
      if (q[i] === 0) continue;
      const rcode = i % RCODE_SLOTS;
      const slot = Math.floor(i / RCODE_SLOTS);
      visit(TRANSPORTS[Math.floor(slot / TYPE_LABELS.length)], TYPE_LABELS[slot % TYPE_LABELS.length], rcodeLabel(rcode), q[i]);
    }
  }
}
