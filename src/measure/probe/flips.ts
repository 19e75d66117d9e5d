// When the authority's answer changed during an observation, and how long each
// resolver kept handing out the old one.

import { sameValues } from './classify.js';
import type { Observation } from './observe.js';

export interface AnswerChange {
  /** The authority's first answer with the new values. */
  at: number;
  /** Its last answer with the old ones: the change happened between the two. */
  lastOldAt: number;
  from: string[];
  to: string[];
}

export interface ResolverAfterChange {
  changeAt: number;
  /** Last answer with the old values after the change, if any. */
  lastOld?: number;
  /** First answer with the new values after the change. */
  firstNew?: number;
  /** First new answer after which no old one came. */
  stableNew?: number;
  /** How long after the change the old values were still handed out (0 when never). */
  staleMs: number;
}

/** The authority's answer changes, from its observations. */
export function answerChanges(authority: readonly Observation[]): AnswerChange[] {
  const changes: AnswerChange[] = [];
  let last: Observation | undefined;
  for (const o of authority) {
    if (o.values === undefined) continue;
    if (last?.values !== undefined && !sameValues(o.values, last.values)) changes.push({ at: o.at, lastOldAt: last.at, from: last.values, to: o.values });
    last = o;
  }
  return changes;
}

export function afterChange(observations: readonly Observation[], change: AnswerChange): ResolverAfterChange {
  const after = observations.filter((o) => o.at >= change.lastOldAt && o.values !== undefined);
  const old = after.filter((o) => sameValues(o.values!, change.from) && o.at >= change.at);
  const lastOld = old[old.length - 1]?.at;
  const news = after.filter((o) => sameValues(o.values!, change.to));
  const stable = news.find((o) => lastOld === undefined || o.at > lastOld);
  return {
    changeAt: change.at,
    ...(lastOld !== undefined && { lastOld }),
    ...(news.length > 0 && { firstNew: news[0].at }),
    ...(stable !== undefined && { stableNew: stable.at }),
    staleMs: lastOld === undefined ? 0 : lastOld - change.at,
  };
}
