// The comparison's table for the terminal: each row's phases, how long clients
// kept failing, what was measured or modelled; then what others publish.

import type { CompareReport, RowSummary } from '../measure/compare/compare.js';
import type { Spread } from '../measure/drill/drill.js';
import { table } from './output.js';

const METHOD_TITLES = { client: 'client commanding', router: 'router commanding', garp: 'gratuitous ARP', dns: 'DNS redirection' } as const;

export function renderCompare(report: CompareReport, files?: { json: string; svg: string }): string {
  const single = report.settings.trials === 1;
  const time = (s: Spread | undefined): string => (s === undefined ? '-' : single || s.min === s.max ? duration(s.mean) : `${duration(s.mean)} [${duration(s.min)}-${duration(s.max)}]`);
  const lines = [
    `flipdns compare: the primary fails at T0 (a crash); ${single ? '1 trial' : `${report.settings.trials} trials, mean [min-max]`}${report.settings.short ? ', short version' : ''}`,
    '',
  ];
  const rows = report.rows.map((row) => [
    METHOD_TITLES[row.method],
    row.name.replace(/^[^:]*: /, ''),
    row.how,
    time(row.phases.detectMs),
    time(row.phases.decideMs),
    time(row.phases.redirectMs),
    time(row.phases.movedMs),
    badShare(row, 1000),
    badShare(row, 10_000),
  ]);
  lines.push(table(['METHOD', 'VARIANT', 'HOW', 'DETECT', 'DECIDE', 'REDIRECT', 'ALL CLIENTS MOVED', 'BAD 0-1s', 'BAD 0-10s'], rows).trimEnd(), '');
  lines.push('times after T0; BAD: share of client requests that failed or reached the dead node in that span', '');
  for (const skipped of report.skipped) lines.push(`not run: ${skipped}`);
  if (report.skipped.length > 0) lines.push('');
  lines.push('published figures, for comparison:');
  lines.push(table(['METHOD', 'WHAT', 'FIGURE', 'SOURCE'], report.published.map((p) => [METHOD_TITLES[p.method], p.what, p.figure, p.source]), '  ').trimEnd());
  if (files) lines.push('', `every figure and parameter: ${files.json}`, `chart: ${files.svg}`);
  return lines.join('\n') + '\n';
}

/** Mean share of bad requests over [0, untilMs), weighting each bin by the time it covers (bins with no request left out). */
function badShare(row: RowSummary, untilMs: number): string {
  let covered = 0;
  let bad = 0;
  for (const [ms, share] of row.curve) {
    const width = Math.min(row.binMs, untilMs - ms);
    if (width <= 0) break;
    covered += width;
    bad += share * width;
  }
  // After the last bin every client had moved (the rows end their curves there): nothing bad any more.
  const last = row.curve.at(-1);
  if (last !== undefined && row.phases.movedMs !== undefined && last[0] + row.binMs < untilMs) covered += untilMs - (last[0] + row.binMs);
  if (covered === 0) return '-';
  const share = bad / covered;
  return share === 0 ? '0' : share < 0.001 ? '<0.1%' : `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}

function duration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}
