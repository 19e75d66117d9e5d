// A dns2 response as a short dig would print it: status line, then the records
// of each section in zone-file form.

import type DNS from 'dns2';
import { classToText, rcodeToText } from '../zone/types.js';

type Resource = DNS.Packet.Resource & Record<string, unknown>;

const OPT = 41;

export function formatResponse(response: DNS.Packet, typeNames: Record<number, string>, via: string): string {
  const { header } = response;
  // dns2 decodes ad and cd too, though its types leave them out.
  const bits = header as unknown as Record<string, number>;
  const flags = ['qr', 'aa', 'tc', 'rd', 'ra', 'ad', 'cd'].filter((flag) => bits[flag]).join(' ');
  const lines = [`;; status: ${rcodeToText(header.rcode)}, id: ${header.id}, flags: ${flags}`];
  for (const question of response.questions) lines.push(`;; question: ${fqdn(question.name)} ${classToText(question.class)} ${typeNames[question.type] ?? `TYPE${question.type}`}`);
  const sections: Array<[string, DNS.Packet.Resource[]]> = [['answer', response.answers], ['authority', response.authorities], ['additional', response.additionals]];
  for (const [title, records] of sections) {
    const shown = records.filter((record) => record.type !== OPT) as Resource[];
    if (shown.length === 0) continue;
    lines.push(`;; ${title}:`);
    for (const record of shown) {
      const type = typeNames[record.type] ?? `TYPE${record.type}`;
      lines.push([fqdn(record.name), record.ttl, classToText(record.class), type, rdata(type, record)].join('\t'));
    }
  }
  lines.push(`;; ${via}`);
  return lines.join('\n') + '\n';
}

const RDATA: Record<string, (rr: Resource) => string> = {
  A: (rr) => String(rr.address),
  AAAA: (rr) => String(rr.address),
  NS: (rr) => fqdn(rr.ns),
  CNAME: (rr) => fqdn(rr.domain),
  PTR: (rr) => fqdn(rr.domain),
  MX: (rr) => `${rr.priority} ${fqdn(rr.exchange)}`,
  TXT: (rr) => JSON.stringify(rr.data),
  SOA: (rr) => `${fqdn(rr.primary)} ${fqdn(rr.admin)} ${rr.serial} ${rr.refresh} ${rr.retry} ${rr.expiration} ${rr.minimum}`,
  SRV: (rr) => `${rr.priority} ${rr.weight} ${rr.port} ${fqdn(rr.target)}`,
  CAA: (rr) => `${rr.flags} ${rr.tag} ${JSON.stringify(rr.value)}`,
};

const RR_HEADER_FIELDS = new Set(['name', 'type', 'class', 'ttl']);

function rdata(type: string, record: Resource): string {
  const format = RDATA[type];
  if (format) return format(record);
  // Types dns2 does not decode come as raw bytes: RFC 3597 form.
  if (Buffer.isBuffer(record.data)) return `\\# ${record.data.length} ${record.data.toString('hex')}`.trimEnd();
  // Decoded by dns2 but not listed above (DNSKEY, RRSIG): its fields in wire order.
  return Object.entries(record).filter(([key]) => !RR_HEADER_FIELDS.has(key)).map(([, value]) => String(value)).join(' ');
}

function fqdn(name: unknown): string {
  const text = String(name ?? '');
  return text.endsWith('.') ? text : `${text}.`;
}
