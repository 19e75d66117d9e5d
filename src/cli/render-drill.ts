// The drill's table for the terminal.

import { table } from './output.js';
import type { DrillReport, Spread } from '../measure/drill/drill.js';
import { RESOLVER_VARIANTS } from '../measure/drill/resolvers.js';

/** Seconds shown one by one in the per-second table; the chart has them all. */
const SECONDS_LISTED = 12;

export function renderDrill(report: DrillReport, files?: { json: string; svg: string }): string {
  const { settings } = report;
  const single = report.trials.length === 1;
  const ms = (s: Spread): string => (single ? `${Math.round(s.mean)} ms` : `${Math.round(s.mean)} ms [${Math.round(s.min)}-${Math.round(s.max)}]`);
  const secs = (s: Spread): string => (single ? `${(s.mean / 1000).toFixed(1)} s` : `${(s.mean / 1000).toFixed(1)} s [${(s.min / 1000).toFixed(1)}-${(s.max / 1000).toFixed(1)}]`);
  const pct = (s: Spread): string => (single ? percent(s.mean) : `${percent(s.mean)} [${percent(s.min)}-${percent(s.max)}]`);
  const instances = settings.store === 'redis' ? '2 instances on one redis-server' : '1 instance, embedded store';
  const lines = [
    `flipdns drill: pool TTL ${settings.ttl} s (${settings.ttlPolicy}), heartbeats every ${settings.intervalMs} ms, fall ${settings.fall}, rise ${settings.rise}; ${instances}`,
    `fault: ${settings.fault === 'check' ? "the primary's service stops (its agent's check fails)" : 'the primary node vanishes, agent and all'}; ${settings.clients} clients x ${settings.rate} lookups/s per resolver; ${single ? '1 trial' : `${report.trials.length} trials, mean [min-max]`}, seed ${report.seeds.join(', ')}`,
    '',
    `detection (failure to down decision): ${ms(report.detection)}`,
    `detect + flip (failure to every instance answering the backup): ${ms(report.detectAndFlip)}`,
    `queries from the resolvers: ${num(report.steadyQueriesPerSecond, 2)}/s before the failure (${num(report.steadyLateEvents, 0)} late beats), ${num(report.resolverQueries, 0)} in the ${settings.observe} s after it`,
    '',
  ];
  const probeSays = (r: DrillReport['resolvers'][number]): string => {
    if (settings.ttlPolicy === 'adaptive') return 'not classified (the TTL varies)';
    const classes = [...new Set(r.classes)].join('/');
    return RESOLVER_VARIANTS[r.variant].shows(settings.ttl) ? classes : `${classes} (at TTL ${settings.ttl} ${RESOLVER_VARIANTS[r.variant].hidden})`;
  };
  const rows = report.resolvers.map((r) => [
    r.variant,
    probeSays(r),
    secs(r.staleAfterFlip),
    pct(r.deadShare),
    r.ledgerCovers === undefined ? 'n/a (ttl not honoured)' : r.ledgerCovers.every(Boolean) ? 'yes' : `NO in ${r.ledgerCovers.filter((ok) => !ok).length}`,
  ]);
  lines.push(table(['RESOLVER', 'PROBE SAYS', 'DEAD AFTER FLIP', `DEAD LOOKUPS 0-${settings.observe}s`, 'LEDGER BOUND COVERS'], rows).trimEnd(), '');

  const shown = Math.min(SECONDS_LISTED, settings.observe);
  lines.push(`share of client lookups to the dead address, by second since the failure${single ? '' : ' (mean)'}:`);
  const bySecond = report.resolvers.map((r) => [r.variant, ...r.deadShareBySecond.slice(0, shown).map((share) => (share === undefined ? '-' : percent(share)))]);
  lines.push(table(['RESOLVER', ...Array.from({ length: shown }, (_, s) => `${s}s`)], bySecond).trimEnd());
  if (files) lines.push('', `every figure: ${files.json}`, `chart: ${files.svg}`);
  return lines.join('\n') + '\n';
}

function num(s: Spread, digits: number): string {
  const f = (n: number): string => n.toFixed(digits);
  return s.min === s.max ? f(s.mean) : `${f(s.mean)} [${f(s.min)}-${f(s.max)}]`;
}

function percent(share: number): string {
  return share === 0 ? '0' : share < 0.001 ? '<0.1%' : `${(share * 100).toFixed(share < 0.1 ? 1 : 0)}%`;
}
