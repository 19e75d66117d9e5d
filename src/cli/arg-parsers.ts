// Parsers for option values: a bad value is a usage error, reported by
// commander as one line, exit 2.

import { isIP } from 'node:net';
import { InvalidArgumentError } from 'commander';

export function integerArg(min: number, max: number): (raw: string) => number {
  return (raw) => {
    const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
    if (!Number.isInteger(value) || value < min || value > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}`);
    return value;
  };
}

/** A bearer token: an empty one (a shell variable that was never set) is refused here rather than by the server. */
export function tokenArg(raw: string): string {
  if (raw.trim() === '') throw new InvalidArgumentError('the token is empty');
  return raw;
}

/** A count or duration whose range the server checks, so the two cannot disagree. */
export function wholeNumberArg(raw: string): number {
  if (!/^\d{1,15}$/.test(raw)) throw new InvalidArgumentError('must be a whole number');
  return Number(raw);
}

export function urlArg(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new InvalidArgumentError('must be a URL such as http://127.0.0.1:8053');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new InvalidArgumentError('must be an http:// or https:// URL');
  return raw;
}

/** `HOST`, `HOST:PORT`, `[V6]:PORT` or a bare IPv6 address; the port defaults to `defaultPort`. */
export function serverArg(defaultPort: number): (raw: string) => { host: string; port: number } {
  return (raw) => {
    const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(raw);
    const plain = /^([^:]+)(?::(\d{1,5}))?$/.exec(raw);
    const match = bracketed ?? plain;
    const host = match?.[1] ?? (isIP(raw) === 6 ? raw : undefined);
    const port = match?.[2] === undefined ? defaultPort : Number(match[2]);
    if (host === undefined || isIP(host) === 0 || port < 1 || port > 65535) throw new InvalidArgumentError('must be an IP address with an optional port: 192.0.2.1, 192.0.2.1:5353, [2001:db8::1]:53');
    return { host, port };
  };
}
