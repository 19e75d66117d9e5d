// What the namespace labs (bgp.ts, vrrp.ts) share to read their daemons and
// monitors: timestamped log lines, waiting for a state, and one request that
// proves the path to the service works end to end.

import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls `check` every `everyMs` until it returns true (a check that throws counts as not yet); throws what
 * is missing at the deadline, or at once when `fatal` throws (a daemon that exited).
 */
export async function waitFor(
  what: string,
  deadlineMs: number,
  check: () => Promise<boolean> | boolean,
  detail: () => string,
  everyMs = 50,
  fatal = (): void => undefined,
): Promise<void> {
  const deadline = Date.now() + deadlineMs;
  for (;;) {
    fatal();
    if (await Promise.resolve().then(check).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what} not reached within ${deadlineMs / 1000} s: ${detail()}`);
    await sleep(everyMs);
  }
}

/** A file that may not exist yet (a process's log opens asynchronously). */
export function text(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

export function lines(file: string): string[] {
  return text(file).split('\n');
}

/** `[2026-11-27T16:23:21.063059] ...` (local time, as `ip -ts` prints it) -> wall-clock ms. */
export function parseIpTimestamp(line: string): number | undefined {
  const m = /^\[(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.(\d{6})\]/.exec(line);
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, us] = m.map(Number);
  return new Date(y, mo - 1, d, h, mi, sec).getTime() + us / 1000;
}

/** The first line at or after `from` (wall-clock ms) that matches, with its time as `parse` reads it. */
export function firstAfter(
  file: string,
  from: number,
  match: (line: string) => boolean,
  parse: (line: string) => number | undefined = parseIpTimestamp,
): { at: number; line: string } | undefined {
  for (const line of lines(file)) {
    const at = parse(line);
    if (at !== undefined && at >= from && match(line)) return { at, line };
  }
  return undefined;
}

/** Run with `node -e` in the client's namespace: one UDP request every 50 ms until `want` answers (exit 0) or `ms` pass (exit 1). */
export const REACH_SCRIPT = `const [address, port, want, ms] = process.argv.slice(1);
const socket = require('node:dgram').createSocket('udp4');
socket.on('message', (m) => { if (m.subarray(4).toString() === want) process.exit(0); });
socket.on('error', () => undefined);
const send = () => socket.send(Buffer.alloc(4), Number(port), address, () => undefined);
socket.bind(() => { send(); setInterval(send, 50); });
setTimeout(() => process.exit(1), Number(ms));`;
