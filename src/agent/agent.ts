// The loop of `flipdns agent`: every interval, run the local check and, when it
// passes, send one heartbeat to the first server that takes it; when it fails,
// report the node down at once (once per failing spell), so the answer flips
// within a check interval instead of waiting for the deadline. A node that
// vanishes with its agent is still caught by the deadline. Instances share the
// health store, so any server will do; the one that answered last is tried
// first. Logs only transitions, so a steady agent is silent.

import type { Logger } from 'pino';
import { callApi, errorOf } from '../api/client.js';
import type { NodeView } from '../api/views.js';
import { NODE_DEFAULTS } from '../pools/spec.js';
import type { Check, CheckResult } from '../checks/probes.js';

export interface AgentOptions {
  node: string;
  token: string;
  /** Admin API base URLs, e.g. http://10.0.0.1:8053. */
  servers: string[];
  /** Ms between beats; when absent, the node's own interval as the server reports it. */
  intervalMs?: number;
  check: Check;
  checkTimeoutMs: number;
  log: Logger;
  /** PEM file of the CA that signed an https:// server's certificate; default $FLIPDNS_CA_FILE. */
  caFile?: string;
}

type Level = 'info' | 'warn' | 'error';

/** A server gets at least this long to answer, however short the interval: a slow answer is not a dead server. */
const MIN_REQUEST_TIMEOUT_MS = 1000;
/** The next server is asked too when the one asked has not answered within half an interval, within these bounds. */
const MIN_HEDGE_MS = 20;
const MAX_HEDGE_MS = 500;

export class Agent {
  private intervalMs: number;
  private preferred = 0;
  private phase = '';
  /** The last warning that a fixed --interval cannot keep the node's promise; '' while it can. */
  private paceWarning = '';
  /** The node has been reported down since the check last passed. */
  private reported = false;
  private timer?: NodeJS.Timeout;
  private running: Promise<void> = Promise.resolve();
  private readonly stopping = new AbortController();

  constructor(private readonly options: AgentOptions) {
    if (options.servers.length === 0) throw new Error('an agent needs at least one server');
    this.intervalMs = options.intervalMs ?? NODE_DEFAULTS.intervalMs;
  }

  start(): void {
    this.loop();
  }

  /** Resolves once the round in flight (if any) is over; nothing is sent after. */
  async stop(): Promise<void> {
    this.stopping.abort();
    clearTimeout(this.timer);
    await this.running;
  }

  private loop(): void {
    const started = performance.now();
    this.running = this.round().then(() => {
      if (this.stopping.signal.aborted) return;
      // Beats keep their rhythm: the time a round took comes off the wait.
      this.timer = setTimeout(() => this.loop(), Math.max(0, started + this.intervalMs - performance.now()));
    });
  }

  private async round(): Promise<void> {
    const stopping = this.stopping.signal;
    const check = await this.options
      .check(AbortSignal.any([stopping, AbortSignal.timeout(this.options.checkTimeoutMs)]))
      .catch((err: Error): CheckResult => ({ ok: false, reason: err.message }));
    if (stopping.aborted) return;
    if (check.ok) {
      this.reported = false;
      const accepted = await this.send('heartbeat');
      if (accepted) this.enter(`beating ${accepted.server} ${accepted.node.health}`, 'info', 'heartbeats accepted', { server: accepted.server, health: accepted.node.health });
      return;
    }
    if (this.reported) return;
    const accepted = await this.send('down', { reason: check.reason });
    if (!accepted) return;
    this.reported = true;
    this.enter('reported-down', 'warn', 'local check failing: node reported down, sending no heartbeats', { reason: check.reason, server: accepted.server });
  }

  /**
   * Sends a heartbeat or a down report to the first server that takes it. The
   * preferred server goes first; each next one is asked too when the previous
   * fails or has not answered within `hedgeMs`, so one stalled instance (a
   * pause, a full event loop) cannot hold the node's beat past its deadline.
   */
  private async send(what: 'heartbeat' | 'down', body?: unknown): Promise<{ server: string; node: NodeView } | undefined> {
    const { servers, node, token } = this.options;
    const failures: string[] = [];
    const done = new AbortController();
    const signal = AbortSignal.any([this.stopping.signal, done.signal]);
    const hedgeMs = Math.max(MIN_HEDGE_MS, Math.min(this.intervalMs / 2, MAX_HEDGE_MS));
    type Outcome = { accepted: { server: string; node: NodeView; index: number } } | { refused: true } | undefined;
    const attempt = async (i: number): Promise<Outcome> => {
      const index = (this.preferred + i) % servers.length;
      const server = servers[index];
      try {
        const answer = await callApi(server, { method: 'POST', path: ['nodes', node, what], token, body, timeoutMs: Math.max(this.intervalMs, MIN_REQUEST_TIMEOUT_MS), signal, caFile: this.options.caFile });
        if (answer.status === 200) return { accepted: { server, node: (answer.body as { node: NodeView }).node, index } };
        // A refusal (wrong token, unknown node) would be the same on every instance;
        // a 5xx (its store unreachable) may not be, nor a 429 (that instance's
        // limit on refused authentications from this address).
        if (answer.status < 500 && answer.status !== 429) {
          if (!done.signal.aborted) this.enter(`refused ${answer.status}`, 'error', `${what} refused`, { server, status: answer.status, error: errorOf(answer) });
          return { refused: true };
        }
        failures.push(`${server}: ${errorOf(answer)}`);
      } catch (err) {
        if (!signal.aborted) failures.push((err as Error).message);
      }
      return undefined;
    };
    const outcome = await new Promise<Outcome>((resolve) => {
      let started = 0;
      let settled = 0;
      let hedge: NodeJS.Timeout | undefined;
      const next = (): void => {
        clearTimeout(hedge);
        if (started === servers.length) return;
        const i = started++;
        hedge = setTimeout(next, hedgeMs);
        void attempt(i).then((result) => {
          settled++;
          if (result !== undefined) {
            clearTimeout(hedge);
            resolve(result);
          } else if (settled === servers.length) resolve(undefined);
          else if (i === started - 1) next();
        });
      };
      next();
    });
    done.abort();
    if (outcome !== undefined && 'accepted' in outcome) {
      this.preferred = outcome.accepted.index;
      this.heed(outcome.accepted.node);
      return { server: outcome.accepted.server, node: outcome.accepted.node };
    }
    if (outcome !== undefined || this.stopping.signal.aborted) return undefined;
    this.enter('unreachable', 'error', `no server took the ${what === 'down' ? 'down report' : 'heartbeat'}`, { errors: failures });
    return undefined;
  }

  /** The node's contract as the server has it: follow its interval, or say when a fixed --interval cannot keep it. */
  private heed({ intervalMs: nodeIntervalMs, fall }: NodeView): void {
    const { intervalMs: fixed, log } = this.options;
    if (fixed === undefined) {
      if (nodeIntervalMs === this.intervalMs) return;
      log.info({ intervalMs: nodeIntervalMs, was: this.intervalMs }, "beating at the node's interval, as the server has it");
      this.intervalMs = nodeIntervalMs;
      return;
    }
    const warning = paceWarning(fixed, nodeIntervalMs, fall);
    if (warning === this.paceWarning) return;
    if (warning) log.warn({ intervalMs: fixed, nodeIntervalMs, fall }, warning);
    else log.info({ intervalMs: fixed, nodeIntervalMs, fall }, `--interval ${fixed} ms now keeps the node's interval of ${nodeIntervalMs} ms`);
    this.paceWarning = warning;
  }

  private enter(phase: string, level: Level, message: string, details: Record<string, unknown>): void {
    if (phase === this.phase) return;
    this.phase = phase;
    this.options.log[level](details, message);
  }
}

/** What the server will make of beats every `intervalMs` from a node that promised one every `nodeIntervalMs`; '' when nothing. */
function paceWarning(intervalMs: number, nodeIntervalMs: number, fall: number): string {
  if (intervalMs <= nodeIntervalMs) return '';
  const late = `--interval ${intervalMs} ms is longer than the node's interval of ${nodeIntervalMs} ms: the server will judge the node late`;
  const deadlineMs = fall * nodeIntervalMs;
  return intervalMs < deadlineMs ? late : `${late}, and declare it down between beats (its deadline is fall ${fall} × ${nodeIntervalMs} ms = ${deadlineMs} ms)`;
}
