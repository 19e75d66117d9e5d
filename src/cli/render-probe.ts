// A probe report as text for `flipdns probe`.

import { table } from './output.js';
import type { ProbeReport } from '../measure/probe/probe.js';

export function renderProbe(report: ProbeReport): string {
  const { question, ttl, ttlFrom, intervalMs } = report;
  const lines = [`${question.name} ${question.type}, asked every ${intervalMs} ms for ${seconds(report.endedAt - report.startedAt)}; our TTL ${ttl} (${ttlFrom})`, ''];
  const rows = report.resolvers.map((r) => [
    r.resolver,
    r.class,
    String(r.queries),
    String(r.failures),
    r.ttls === undefined ? '-' : r.ttls[0] === r.ttls[1] ? String(r.ttls[0]) : `${r.ttls[0]}-${r.ttls[1]}`,
    r.seen[0]?.first.what ?? (r.queries === r.failures ? 'no answer' : 'watch longer than one TTL to see a renewal'),
  ]);
  lines.push(table(['RESOLVER', 'CLASS', 'QUERIES', 'FAILED', 'TTLS', 'EVIDENCE'], rows).trimEnd());
  for (const r of report.resolvers) {
    for (const also of r.seen.slice(1)) lines.push(`  ${r.resolver} also ${also.behaviour} (${also.times}x): ${also.first.what}`);
  }
  report.changes.forEach((change, i) => {
    lines.push('', `the authority's answer changed at +${seconds(change.at - report.startedAt)}: ${change.from.join(' ')} -> ${change.to.join(' ')}`);
    const after = report.resolvers.map((r) => {
      const a = r.afterChanges[i];
      const rel = (t: number | undefined): string => (t === undefined ? '-' : `${t < change.at ? '-' : '+'}${seconds(Math.abs(t - change.at))}`);
      return [r.resolver, rel(a.lastOld), rel(a.firstNew), rel(a.stableNew), seconds(a.staleMs)];
    });
    lines.push(table(['RESOLVER', 'LAST OLD', 'FIRST NEW', 'STABLE NEW', 'OLD ANSWER FOR'], after).trimEnd());
  });
  return lines.join('\n') + '\n';
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
