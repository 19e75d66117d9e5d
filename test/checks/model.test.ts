// Server-side check definitions and the rule that combines the instances' verdicts.

import { describe, expect, it } from 'vitest';
import { type Verdict, consensus, parseNodeCheck } from '../../src/checks/model.js';

const verdict = (instance: string, failing: boolean): Verdict => ({ node: 'web1', instance, failing, since: 0 });

describe('server-side checks', () => {
  it('take tcp:// and http(s):// targets with defaults, and refuse anything else with the field named', () => {
    expect(parseNodeCheck({ url: 'tcp://127.0.0.1:8080' })).toEqual({ url: 'tcp://127.0.0.1:8080', intervalMs: 1000, timeoutMs: 500, fall: 3, rise: 2 });
    expect(parseNodeCheck({ url: 'https://[::1]:8443/health', intervalMs: 200 })).toMatchObject({ intervalMs: 200, timeoutMs: 200 });
    expect(() => parseNodeCheck({ url: 'udp://127.0.0.1:53' })).toThrow('check: url: expected tcp://HOST:PORT or an http(s):// URL, got "udp://127.0.0.1:53"');
    expect(() => parseNodeCheck({ url: 'tcp://127.0.0.1' })).toThrow('check: url: expected HOST:PORT, got "127.0.0.1"');
    expect(() => parseNodeCheck({ url: 'tcp://h:1', intervalMs: 500, timeoutMs: 800 })).toThrow('check: timeoutMs: must not exceed intervalMs (500), or probes would overlap');
    expect(() => parseNodeCheck({ url: 'tcp://h:1', every: 5 })).toThrow(/every/);
  });

  it('take a node out only on a strict majority of the instances that gave a verdict', () => {
    expect(consensus([])).toEqual({ failing: false, failingCount: 0, verdictCount: 0 });
    expect(consensus([verdict('a', true)]).failing).toBe(true);
    // One instance cut off from the node by its own network cannot take it out.
    expect(consensus([verdict('a', true), verdict('b', false)]).failing).toBe(false);
    expect(consensus([verdict('a', true), verdict('b', true)]).failing).toBe(true);
    expect(consensus([verdict('a', true), verdict('b', true), verdict('c', false)])).toEqual({ failing: true, failingCount: 2, verdictCount: 3 });
  });
});
