// The staleness view as text for `flipdns staleness`: per pool, its last
// flips, each with its stale resolvers. Times are seconds relative to the flip.

import { table } from './output.js';
import type { FlipView, PoolStaleness, StalenessView } from '../measure/ledger/view.js';

/** Resolvers listed per flip; --json has them all. */
const LISTED = 20;

export function renderStaleness(view: StalenessView): string {
  const processes = view.processes === 1 ? '1 process' : `${view.processes} processes merged`;
  const header = `instance ${view.instance} (${processes}): ${view.tracked} resolvers tracked, ${view.entries} (resolver, pool) entries of ${view.capacity}, ${view.evictions} resolvers evicted\n`;
  if (view.pools.length === 0) return `${header}\nno pool answer served yet\n`;
  return header + view.pools.map((pool) => '\n' + renderPool(pool, view.now)).join('');
}

function renderPool(pool: PoolStaleness, now: number): string {
  const title = `${pool.name} ${pool.type}  answer ${pool.values.join(' ') || '(none yet)'} (version ${pool.version})  ${pool.resolvers} resolvers tracked\n`;
  if (pool.flips.length === 0) return `${title}  no flip seen\n`;
  return title + pool.flips.map((flip) => renderFlip(flip, now)).join('');
}

function renderFlip(flip: FlipView, now: number): string {
  const when = new Date(flip.at).toISOString();
  const lines = [`  flip at ${when} (${seconds(now - flip.at)} ago): ${flip.previous.join(' ') || '(nothing)'} -> ${flip.values.join(' ') || '(nothing)'}, versions ${flip.from} -> ${flip.to}, ttl ${flip.ttl}`];
  if (flip.staleResolvers === 0) return lines.join('\n') + '\n    no resolver held the old answer\n';
  const last = flip.lastBound === undefined ? '' : `, the last until ${signed(flip.lastBound - flip.at)}`;
  lines.push(`    ${flip.staleResolvers} resolvers may have held the old answer${last}; ${flip.possiblyStaleNow} still may now`);
  const { early, late, none, watching } = flip.classes;
  lines.push(`    asked again: ${early} early, ${flip.classes['on-time']} on time, ${late} late, ${none} not within the watch, ${watching} still watched`);
  const rows = flip.resolvers.slice(0, LISTED).map((w) => [
    w.resolver,
    signed(w.lastServed - flip.at),
    String(w.ttl),
    signed(w.bound - flip.at),
    w.requery === undefined ? '-' : signed(w.requery.at - flip.at),
    w.requery === undefined ? '-' : signed(w.requery.delayMs),
    w.class,
  ]);
  const more = flip.resolvers.length > LISTED ? `    ... ${flip.resolvers.length - LISTED} more (--json lists them all)\n` : '';
  return lines.join('\n') + '\n' + table(['RESOLVER', 'SERVED', 'TTL', 'BOUND', 'ASKED AGAIN', 'VS EXPIRY', 'CLASS'], rows, '    ') + more;
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)}s`;
}

function signed(ms: number): string {
  return `${ms < 0 ? '-' : '+'}${seconds(Math.abs(ms))}`;
}
