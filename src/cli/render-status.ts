// The status view as text: each pool with its members and the health of the
// nodes they follow, then the nodes.

import type { NodeStatus, PoolStatus, StatusView } from '../api/context.js';
import { age, table } from './output.js';

export function renderStatus(view: StatusView): string {
  const store = `store ${view.store.kind} ${view.store.connected ? 'connected' : 'UNREACHABLE'}`;
  const pools = view.pools.length === 0 ? 'no pools\n' : view.pools.map((pool) => renderPool(pool, view.nodes)).join('\n');
  const problems = view.problems.length === 0 ? '' : `\nPROBLEMS (not served as configured):\n${view.problems.map((problem) => `  ${problem}\n`).join('')}`;
  return `instance ${view.instance}  generation ${view.generation}  ${store}\n\n${pools}\n${renderNodes(view.nodes)}${problems}`;
}

const ALL_DOWN_CAUSES = { down: 'every member down', operator: 'every member taken out by an operator', unknown: 'no member known yet' } as const;

export function renderPool(pool: PoolStatus, nodes: NodeStatus[]): string {
  const answering = pool.outcome === 'answer' ? `answering ${pool.answer.join(' ') || 'nothing'}` : `answering ${pool.outcome.toUpperCase()}`;
  const answer = pool.allDown ? `ALL DOWN (${ALL_DOWN_CAUSES[pool.allDownCause ?? 'down']}), ${answering}` : `answer ${pool.answer.join(' ')}`;
  const ttl = pool.answerTtl === pool.ttl ? `ttl ${pool.ttl}` : `ttl ${pool.answerTtl} (adaptive, settling; ${pool.ttl} when steady)`;
  const title = `${pool.name} ${pool.type}  ${pool.policy}  from ${pool.source}  ${ttl}  ${answer}\n`;
  const rows = pool.members.map((member) => {
    const node = nodes.find((candidate) => candidate.id === member.node);
    const state = [node?.health ?? 'NO SUCH NODE', node?.late ? 'late' : '', node && node.admin !== 'none' ? node.admin : '', member.held ? 'held' : ''].filter(Boolean).join(', ');
    return [member.id, member.node, member.value, String(member.priority), String(member.weight), member.available ? 'yes' : 'no', state, age(node?.heartbeatAgeMs), node ? String(node.generation) : '-'];
  });
  return title + table(['MEMBER', 'NODE', 'VALUE', 'PRIORITY', 'WEIGHT', 'AVAILABLE', 'STATE', 'BEAT AGO', 'GEN'], rows, '  ');
}

export function renderNodes(nodes: NodeStatus[]): string {
  if (nodes.length === 0) return 'no nodes\n';
  const rows = nodes.map((node) => [
    node.id,
    [node.health, ...(node.late ? ['late'] : []), ...(node.check?.failing ? ['CHECK FAILING'] : [])].join(', '),
    node.admin === 'none' ? '-' : `${node.admin} by ${node.adminBy ?? '?'}: ${node.adminReason ?? ''}`,
    age(node.heartbeatAgeMs),
    age(node.sinceChangeMs),
    `${node.intervalMs}ms`,
    String(node.fall),
    String(node.rise),
    String(node.generation),
  ]);
  const reasons = nodes.filter((node) => node.downReason !== undefined).map((node) => `${node.id} is down: ${node.downReason}\n`);
  const checks = nodes.flatMap(({ id, check }) =>
    check === undefined
      ? []
      : [
          `${id} check ${check.url}: ${check.failing ? 'FAILING, out of answers' : 'passing'} (${check.verdicts.filter((v) => v.failing).length} of ${check.verdicts.length} instances fail it)\n`,
          ...check.verdicts.map((v) => `  ${v.instance}: ${v.failing ? `failing: ${v.reason ?? ''}` : 'passing'}\n`),
        ],
  );
  return table(['NODE', 'HEALTH', 'OVERRIDE', 'BEAT AGO', 'CHANGED AGO', 'INTERVAL', 'FALL', 'RISE', 'GEN'], rows) + reasons.join('') + checks.join('');
}

/** Unhealthy: the store cannot be reached, a pool has no member to answer with, or something is not served as configured. */
export function isUnhealthy(view: StatusView): boolean {
  return !view.store.connected || view.pools.some((pool) => pool.allDown) || view.problems.length > 0;
}
