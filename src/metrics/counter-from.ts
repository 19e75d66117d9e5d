// A counter whose value lives in a plain field the hot path increments (no
// prom-client call per query): read at each scrape.

import { Counter } from 'prom-client';

export function counterFrom(name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}
