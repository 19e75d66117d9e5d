// Probes of a service. An agent runs one locally: a failing probe stops its
// heartbeats, so the fault is noticed where it happens. Every flipdns instance
// runs the server-side checks (checker.ts) with the same probes, from where the
// users' traffic comes. Each probe is aborted by its signal (the timeout, or
// the prober stopping) and then counts as failed.

import { execFile } from 'node:child_process';
import { connect } from 'node:net';

export type CheckResult = { ok: true } | { ok: false; reason: string };
export type Check = (signal: AbortSignal) => Promise<CheckResult>;

/** No check: beating at all says the machine and the agent are alive. */
export const noCheck: Check = async () => ({ ok: true });

/** Passes when the shell command exits 0. */
export function commandCheck(command: string): Check {
  return (signal) =>
    new Promise((resolve) => {
      execFile('/bin/sh', ['-c', command], { signal, killSignal: 'SIGKILL', maxBuffer: 64 * 1024 }, (err, _stdout, stderr) => {
        if (!err) return resolve({ ok: true });
        if (signal.aborted) return resolve({ ok: false, reason: 'command timed out' });
        const lastLine = stderr.trim().split('\n').pop();
        resolve({ ok: false, reason: `command exited with ${err.code ?? err.message}${lastLine ? `: ${lastLine}` : ''}` });
      });
    });
}

/** Passes when a TCP connection to host:port opens. */
export function tcpCheck(host: string, port: number): Check {
  return (signal) =>
    new Promise((resolve) => {
      const socket = connect({ host, port });
      const finish = (result: CheckResult): void => {
        signal.removeEventListener('abort', onAbort);
        socket.destroy();
        resolve(result);
      };
      const onAbort = (): void => finish({ ok: false, reason: `no connection to ${host}:${port} in time` });
      signal.addEventListener('abort', onAbort);
      socket.once('connect', () => finish({ ok: true }));
      socket.once('error', (err: NodeJS.ErrnoException) => finish({ ok: false, reason: `${host}:${port}: ${err.code ?? err.message}` }));
    });
}

/** Passes on a status below 400; redirects are not followed, a 3xx already says the service answers. */
export function httpCheck(url: string): Check {
  return async (signal) => {
    try {
      const response = await fetch(url, { signal, redirect: 'manual' });
      await response.body?.cancel();
      return response.status < 400 ? { ok: true } : { ok: false, reason: `${url}: HTTP ${response.status}` };
    } catch (err) {
      if (signal.aborted) return { ok: false, reason: `${url}: no answer in time` };
      const cause = (err as { cause?: { code?: string } }).cause;
      return { ok: false, reason: `${url}: ${cause?.code ?? (err as Error).message}` };
    }
  };
}

/** `host:port`, `[v6]:port`. */
export function parseHostPort(text: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port < 1 || port > 65535) throw new Error(`expected HOST:PORT, got ${JSON.stringify(text)}`);
  return { host: match[1] ?? match[2], port };
}

/** A server-side check's target: `tcp://host:port` (a connection opens) or an `http://`/`https://` URL (a status below 400). */
export function probeFor(url: string): Check {
  if (url.startsWith('tcp://')) {
    const { host, port } = parseHostPort(url.slice('tcp://'.length));
    return tcpCheck(host, port);
  }
  if (/^https?:\/\//.test(url)) return httpCheck(url);
  throw new Error(`expected tcp://HOST:PORT or an http(s):// URL, got ${JSON.stringify(url)}`);
}
