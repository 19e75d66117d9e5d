// Requests the HTTP listener refused or lost, counted one by one in
// flipdns_http_requests_refused_total{reason} and logged at most one line per
// reason per interval (log-limit.ts): what a client can repeat at will must not
// cost a log line each time.

import type { Logger } from '../log/logger.js';
import { type LimitedLevel, LogLimit } from './log-limit.js';

export type RefusalReason =
  /** 401: no `Authorization: Bearer` header. */
  | 'no-token'
  /** 401/403: not the admin token (nor the read token), or not that node's token (an unknown node alike). */
  | 'wrong-token'
  /** 403: the read token on an endpoint that changes something. */
  | 'read-only'
  /** 429: too many refused authentications from that address; not checked. */
  | 'rate-limited'
  /** The client went away before its answer. */
  | 'aborted'
  /** 408: headers or body too slow (headersTimeout, requestTimeout). */
  | 'timeout'
  /** 413: a body over the cap. */
  | 'too-large'
  /** 400/431: a request HTTP could not parse. */
  | 'bad-request';

const LEVELS: Record<RefusalReason, LimitedLevel> = {
  'no-token': 'info',
  'wrong-token': 'warn',
  'read-only': 'warn',
  'rate-limited': 'warn',
  aborted: 'info',
  timeout: 'info',
  'too-large': 'info',
  'bad-request': 'info',
};

export type RefusalCounter = (reason: RefusalReason) => void;

export class Refusals {
  readonly limit: LogLimit;

  constructor(
    log: Logger,
    private readonly count: RefusalCounter = () => undefined,
    everyMs?: number,
  ) {
    this.limit = new LogLimit(log, everyMs);
  }

  /**
   * Counts the refusal and logs it, unless the same line (reason and `msg`)
   * was logged less than the interval ago. `msg` is fixed text: what varies
   * (a node id, an address) goes in `fields`.
   */
  refuse(reason: RefusalReason, fields: Record<string, unknown>, msg: string): void {
    this.count(reason);
    this.limit.line(LEVELS[reason], `${reason}: ${msg}`, { reason, ...fields }, msg);
  }
}
