// Server-side checks: what each flipdns instance probes for a node, what each
// instance concluded, and the rule that turns the instances' conclusions into
// one. They live in the shared state as documents (health/ keeps them without
// knowing what they hold): a node's check under `checks`, each instance's
// verdict on it under `verdicts`.

import { probeFor } from './probes.js';
import { ValidationError, integer, object, onlyKeys, text } from '../validation/fields.js';

/** A check every instance runs against a node's service, as gdnsd's and PowerDNS's `ifportup`/`ifurlup` do. */
export interface NodeCheck {
  /** `tcp://host:port`, or an `http://`/`https://` URL that must answer below 400. */
  url: string;
  intervalMs: number;
  timeoutMs: number;
  /** Consecutive failed probes before this instance says the check fails. */
  fall: number;
  /** Consecutive passed probes before it says the check passes again. */
  rise: number;
}

export const CHECK_DEFAULTS = { intervalMs: 1000, timeoutMs: 500, fall: 3, rise: 2 } as const;

const CHECK_FIELDS = ['url', 'intervalMs', 'timeoutMs', 'fall', 'rise'];

export function parseNodeCheck(input: unknown, where = 'check'): NodeCheck {
  const fields = object(input, where);
  onlyKeys(fields, CHECK_FIELDS, where);
  const url = text(fields.url, `${where}: url`, 2048);
  try {
    probeFor(url);
  } catch (err) {
    throw new ValidationError(`${where}: url: ${(err as Error).message}`);
  }
  const intervalMs = integer(fields.intervalMs, `${where}: intervalMs`, 100, 3_600_000, CHECK_DEFAULTS.intervalMs);
  const timeoutMs = integer(fields.timeoutMs, `${where}: timeoutMs`, 10, 60_000, Math.min(CHECK_DEFAULTS.timeoutMs, intervalMs));
  if (timeoutMs > intervalMs) throw new ValidationError(`${where}: timeoutMs: must not exceed intervalMs (${intervalMs}), or probes would overlap`);
  return {
    url,
    intervalMs,
    timeoutMs,
    fall: integer(fields.fall, `${where}: fall`, 1, 100, CHECK_DEFAULTS.fall),
    rise: integer(fields.rise, `${where}: rise`, 1, 100, CHECK_DEFAULTS.rise),
  };
}

/** One instance's conclusion about one node's check. */
export interface Verdict {
  node: string;
  instance: string;
  failing: boolean;
  /** The last failed probe's reason, while failing. */
  reason?: string;
  /** When this instance reached the verdict (its own clock, ms since the epoch): shown, never compared. */
  since: number;
}

/** Verdicts are keyed by node and instance; `@` is in neither kind of id. */
export function verdictKey(node: string, instance: string): string {
  return `${node}@${instance}`;
}

export function verdictNode(key: string): string {
  return key.slice(0, key.indexOf('@'));
}

/** What the instances conclude together about a node's check. */
export interface CheckConsensus {
  /** A strict majority of the instances that gave a verdict say the check fails. */
  failing: boolean;
  failingCount: number;
  verdictCount: number;
}

/**
 * A strict majority of the verdicts given: one instance cut off from a node
 * by its own network (a partition, a firewall) cannot take it out of the
 * answers, and with one instance its verdict decides.
 */
export function consensus(verdicts: readonly Verdict[]): CheckConsensus {
  const failingCount = verdicts.filter((verdict) => verdict.failing).length;
  return { failing: failingCount * 2 > verdicts.length, failingCount, verdictCount: verdicts.length };
}

/** The verdicts of the shared state, by node. */
export function verdictsByNode(documents: Record<string, unknown>): Map<string, Verdict[]> {
  const byNode = new Map<string, Verdict[]>();
  for (const value of Object.values(documents)) {
    const verdict = value as Verdict;
    const list = byNode.get(verdict.node);
    if (list) list.push(verdict);
    else byNode.set(verdict.node, [verdict]);
  }
  return byNode;
}
