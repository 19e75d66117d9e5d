// What goes through each resolver during a drill: a poller (a fresh stub query
// every 50 ms, the probe's eyes) and a population of clients, each asking at
// random (Poisson) times, so that the name is busy in every cache. Clients are
// independent Poisson processes, so together they are one Poisson stream of
// their summed rate; its random gaps come from a seeded generator, so a drill
// is reproducible.

import { type Observation, Poller, type Question, type Target, ask, wallClock } from '../probe/observe.js';

export interface TrafficOptions {
  pollIntervalMs: number;
  clients: number;
  /** Lookups per second per client. */
  rate: number;
  random: () => number;
}

const LOOKUP_TIMEOUT_MS = 2000;

export class Traffic {
  readonly pollers: Poller[];
  /** Client lookups per resolver label, in the order answers came. */
  readonly lookups = new Map<string, Observation[]>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;

  constructor(
    private readonly targets: Target[],
    private readonly question: Question,
    private readonly options: TrafficOptions,
  ) {
    this.pollers = targets.map((target) => new Poller(target, question, options.pollIntervalMs));
  }

  start(): void {
    for (const poller of this.pollers) poller.start();
    const perSecond = this.options.clients * this.options.rate;
    if (perSecond <= 0) return;
    for (const target of this.targets) {
      const seen: Observation[] = [];
      this.lookups.set(target.label, seen);
      const next = (): void => {
        if (this.stopped) return;
        // Exponential gaps: the arrivals of a Poisson process.
        const gapMs = (-Math.log(1 - this.options.random()) / perSecond) * 1000;
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          const lookup = ask(target, this.question, LOOKUP_TIMEOUT_MS, wallClock).then((o) => {
            seen.push(o);
            this.inFlight.delete(lookup);
          });
          this.inFlight.add(lookup);
          next();
        }, gapMs);
        this.timers.add(timer);
      };
      next();
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    await Promise.all([...this.pollers.map((poller) => poller.stop()), ...this.inFlight]);
  }
}

/** mulberry32: a small seeded generator of numbers in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
