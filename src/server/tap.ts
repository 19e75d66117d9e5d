// The one place where the measuring side (src/measure) plugs into serving. The
// serving path never imports it: whoever starts an instance may hand it a
// plugin, whose tap sees pool answers go out and pool answers change, and whose
// view adds admin API routes and metrics over what the taps saw.

import type { Route } from '../api/router.js';
import type { Config } from '../config/schema.js';
import { poolKey } from '../pools/model.js';
import type { AnswerChange } from '../pools/overlay.js';
import type { PoolSelection } from '../pools/select.js';

/** A pool answer in a response: which pool, which version of its values, with which TTL. */
export interface PoolServed {
  readonly key: string;
  readonly version: number;
  readonly ttl: number;
}

export interface PoolAnswerChange {
  key: string;
  /** Owner name and type, presentation form. */
  name: string;
  type: string;
  from: number;
  to: number;
  previous: string[];
  values: string[];
  /** TTL of the new answer, seconds. */
  ttl: number;
}

/** An overlay answer change as the tap is told of it. */
export function tapChange({ pool, previous, from, to }: AnswerChange): PoolAnswerChange {
  const { name, type } = pool.spec;
  return { key: poolKey(pool.spec), name, type, from, to, previous: valuesOf(previous), values: valuesOf(pool.selection), ttl: pool.ttl };
}

function valuesOf(selection: PoolSelection): string[] {
  return [...new Set(selection.variants.flat())];
}

export interface ServingTap {
  /**
   * A response carrying pool answers (in its answer section) went to `source`.
   * Runs on the hot path, synchronously: it must not allocate per call beyond
   * what a new source needs.
   */
  served(source: string, pools: readonly PoolServed[]): void;
  /** A pool's answer values changed. */
  answerChanged(change: PoolAnswerChange): void;
  /** What this process saw, as JSON, for the process that serves HTTP. */
  report(): unknown;
}

export interface TapView {
  /** Admin API routes over the reports. */
  routes: Route[];
  /** The plugin's own metrics in Prometheus text, appended to /metrics. */
  metrics(): Promise<string>;
}

export interface TapPlugin {
  /** One tap in every process that answers queries; none when the configuration turns it off. */
  createTap(config: Config): ServingTap | undefined;
  /**
   * The view served over HTTP by the process that serves it: `reports` gathers
   * the taps' reports (this process's, or every worker's with --workers).
   */
  createView(config: Config, reports: () => Promise<unknown[]>): TapView;
}
