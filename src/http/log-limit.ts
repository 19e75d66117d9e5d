// Log lines a client can cause, at most one per kind per interval: a flood of
// wrong tokens or aborted requests must not become a flood of log lines (disk,
// log shipping, the event loop). The lines left out are counted, and said in
// one line at the end of the interval; the metrics count every one.

import type { Logger } from '../log/logger.js';

export type LimitedLevel = 'error' | 'warn' | 'info';

interface Window {
  until: number;
  suppressed: number;
  /** The last line left out: the summary repeats its fields. */
  last?: { level: LimitedLevel; fields: Record<string, unknown>; msg: string };
  timer?: NodeJS.Timeout;
}

export class LogLimit {
  private readonly windows = new Map<string, Window>();

  /** `everyMs`: the interval; `now`: ms, injectable for tests. */
  constructor(
    private readonly log: Logger,
    readonly everyMs = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Logs the line unless a line of this `kind` was logged less than `everyMs`
   * ago. `kind` must come from a short fixed list (a reason, a message), never
   * from the request (an address, a node id): it keys a map.
   */
  line(level: LimitedLevel, kind: string, fields: Record<string, unknown>, msg: string): void {
    const now = this.now();
    const open = this.windows.get(kind);
    if (open !== undefined && now < open.until) {
      open.suppressed++;
      open.last = { level, fields, msg };
      open.timer ??= setTimeout(() => this.close(kind), Math.max(0, open.until - now)).unref();
      return;
    }
    if (open !== undefined) this.close(kind);
    this.windows.set(kind, { until: now + this.everyMs, suppressed: 0 });
    this.log[level](fields, msg);
  }

  /** Says how many lines were left out in the window of `kind`, and forgets it. */
  private close(kind: string): void {
    const window = this.windows.get(kind);
    if (window === undefined) return;
    clearTimeout(window.timer);
    this.windows.delete(kind);
    if (window.suppressed === 0 || window.last === undefined) return;
    const { level, fields, msg } = window.last;
    this.log[level]({ ...fields, suppressed: window.suppressed, intervalSeconds: this.everyMs / 1000 }, `${msg} (${window.suppressed} more like it in ${this.everyMs / 1000} s, not logged one by one; the last one's details are here)`);
  }

  /** Says what is pending now (on close). */
  flush(): void {
    for (const kind of [...this.windows.keys()]) this.close(kind);
  }
}
