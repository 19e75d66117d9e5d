// Asking resolvers over and over, as a stub would: each question a fresh query
// (its own socket and ID, RD set), sent on schedule whether or not the last
// one was answered, each answer recorded with its values and TTL. The client
// is dns2, the project's client-side DNS library: a fresh socket per query is
// exactly what a stub looks like to a resolver, and its codec (about 24,000
// messages/s) is far above the few hundred queries/s a probe or drill sends.

import DNS from 'dns2';
import { rcodeToText } from '../../zone/types.js';

export interface Target {
  /** How reports name it: `host:port`, or a drill's variant name. */
  label: string;
  host: string;
  port: number;
}

export interface Observation {
  /** When the answer (or the failure) came, ms on the wall clock. */
  at: number;
  rcode?: string;
  /** The answer's values of the asked type, sorted; absent on failure. */
  values?: string[];
  /** The lowest TTL of those records, seconds. */
  ttl?: number;
  error?: string;
}

export interface Question {
  name: string;
  /** A, AAAA or CNAME. */
  type: 'A' | 'AAAA' | 'CNAME';
}

/** ms on the wall clock, monotonic within a process. */
export const wallClock = (): number => performance.timeOrigin + performance.now();

/** One fresh query; never rejects: a failure is an observation too. */
export async function ask(target: Target, question: Question, timeoutMs: number, now: () => number = wallClock): Promise<Observation> {
  const query = DNS.UDPClient({ dns: target.host, port: target.port, timeout: timeoutMs, retryOverTCP: false } as Parameters<typeof DNS.UDPClient>[0]);
  try {
    const response = await query(question.name, question.type);
    const rcode = rcodeToText(response.header.rcode);
    const type = DNS.Packet.TYPE[question.type];
    const records = response.answers.filter((answer) => answer.type === type) as Array<DNS.Packet.Resource & { address?: string; domain?: string }>;
    const values = records.map((record) => String(record.address ?? record.domain).toLowerCase()).sort();
    return { at: now(), rcode, values, ...(records.length > 0 && { ttl: Math.min(...records.map((record) => record.ttl)) }) };
  } catch (err) {
    return { at: now(), error: (err as NodeJS.ErrnoException).code ?? (err as Error).message };
  }
}

/** Asks one target every `intervalMs` until stopped, keeping every observation in the order answers came. */
export class Poller {
  readonly observations: Observation[] = [];
  private timer?: NodeJS.Timeout;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly target: Target,
    private readonly question: Question,
    private readonly intervalMs: number,
    private readonly now: () => number = wallClock,
  ) {}

  start(): void {
    const tick = (): void => {
      const pending = ask(this.target, this.question, Math.max(1000, this.intervalMs), this.now).then((o) => {
        this.observations.push(o);
        this.inFlight.delete(pending);
      });
      this.inFlight.add(pending);
    };
    tick();
    this.timer = setInterval(tick, this.intervalMs);
  }

  /** Stops asking; resolves once the questions in flight are answered or timed out. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await Promise.all(this.inFlight);
  }
}
