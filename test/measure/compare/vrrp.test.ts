// The gratuitous ARP rows, run for real: keepalived (VRRPv3) in two network
// namespaces on one switch, a client probing the VIP, the master crashed. The
// short version (the client's neighbour entry stale after 1-3 s): relations
// that hold on any machine. With GARP the client moves about one master-down
// interval after the crash; without, it keeps the dead MAC until its own entry
// fails, so much later. Needs root, keepalived, tcpdump and tc: without them
// the test fails (it never skips). The helper processes run compiled, from
// dist/ (`npm run build`; `npm test` builds first).

import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type { RowResult } from '../../../src/measure/compare/row.js';
import { garpRow, noGarpRow } from '../../../src/measure/compare/vrrp.js';
import { findBinary } from '../../../src/measure/drill/lab.js';

const ADVERT_MS = 100;
const PROBE_EVERY_MS = 10;
/** Timers that fire a little early or late, and clocks read in different processes. */
const SLACK_MS = 20;

const labs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('flipdns-compare-garp-'));
/** The lab names its namespaces after this process. */
const namespaces = (): string[] =>
  execFileSync(findBinary('ip', 'iproute2'), ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .filter((line) => line.startsWith(`fdc${process.pid % 100_000}x`));

const number = (result: RowResult, key: string): number => {
  const value = result.parameters[key];
  expect(typeof value, key).toBe('number');
  return value as number;
};

function checkShape(result: RowResult): void {
  expect(result.method).toBe('garp');
  expect(result.how).toBe('measured');
  expect(result.name).toMatch(/keepalived VRRPv3/);
  for (const [key, value] of Object.entries(result.parameters)) expect(['string', 'number'], key).toContain(typeof value);
  expect(number(result, 'advertMs')).toBe(ADVERT_MS);
  expect(number(result, 'probeEveryMs')).toBe(PROBE_EVERY_MS);
  expect(result.requests).toBeGreaterThan(0);
  expect(result.notes.length).toBeGreaterThan(0);
  for (const note of result.notes) expect(typeof note).toBe('string');
  const { curve } = result;
  expect(curve.length).toBeGreaterThan(0);
  for (const [i, [bin, share]] of curve.entries()) {
    expect(bin).toBeGreaterThanOrEqual(0);
    if (i > 0) expect(bin).toBeGreaterThan(curve[i - 1][0]);
    expect(share).toBeGreaterThanOrEqual(0);
    expect(share).toBeLessThanOrEqual(1);
  }
  // Every request failed until the backup took over; none after the client moved.
  const binMs = number(result, 'binMs');
  const { decideMs, detectMs, redirectMs, movedMs } = result.phases;
  expect(curve.filter(([bin]) => bin + binMs <= decideMs!).every(([, share]) => share === 1)).toBe(true);
  expect(curve.filter(([bin]) => bin > movedMs!).every(([, share]) => share === 0)).toBe(true);
  expect(curve[curve.length - 1][1]).toBe(0);
  // VRRP detects and decides in one step: the master-down timer, 3 × advert + skew after nodeA's last advert
  // (which came at most one advert before the crash).
  expect(detectMs).toBe(decideMs);
  const masterDownMs = number(result, 'masterDownMs');
  expect(masterDownMs).toBeCloseTo(3 * ADVERT_MS + ((256 - number(result, 'backupPriority')) * ADVERT_MS) / 256, 1);
  expect(decideMs!).toBeGreaterThanOrEqual(masterDownMs - ADVERT_MS - SLACK_MS);
  expect(decideMs!).toBeLessThan(3 * ADVERT_MS * 4 + 500);
  expect(redirectMs!).toBeGreaterThanOrEqual(decideMs! - SLACK_MS);
  expect(movedMs!).toBeGreaterThanOrEqual(redirectMs! - SLACK_MS);
}

describe('gratuitous ARP rows: keepalived in network namespaces', () => {
  it('with GARP clients move about one master-down interval after the crash; without, only when their neighbour entry fails', async () => {
    // Loud, never skipped: this row is the point of the test.
    if (process.getuid?.() !== 0) throw new Error('the GARP rows need root (network namespaces): run the tests as root');
    findBinary('keepalived', 'keepalived');
    findBinary('tcpdump', 'tcpdump');
    findBinary('tc', 'iproute2');
    const labsBefore = labs();
    const ctx = { trial: 0, random: () => 0.5, progress: () => undefined, short: true };

    const garp = await garpRow({ advertMs: ADVERT_MS, probeEveryMs: PROBE_EVERY_MS })(ctx);
    const noGarp = await noGarpRow({ advertMs: ADVERT_MS, probeEveryMs: PROBE_EVERY_MS })(ctx);
    // Their labs (configs, logs, traces) and namespaces are gone with the daemons they held.
    expect(labs().filter((name) => !labsBefore.includes(name))).toEqual([]);
    expect(namespaces()).toEqual([]);

    checkShape(garp);
    checkShape(noGarp);
    // A short run's client timers, read back from its namespace.
    for (const row of [garp, noGarp]) {
      expect(number(row, 'client neigh.eth0.base_reachable_time_ms')).toBe(2000);
      expect(number(row, 'client neigh.eth0.delay_first_probe_time')).toBe(1);
      expect(number(row, 'client conf.eth0.arp_accept')).toBe(0);
    }

    // With GARP: moved within about one detection time plus a margin, right after the first GARP.
    expect(garp.phases.movedMs!).toBeLessThan(3 * ADVERT_MS * 4 + 500);
    expect(garp.phases.movedMs!).toBeLessThanOrEqual(garp.phases.redirectMs! + PROBE_EVERY_MS + 50);

    // Without: the client keeps the dead MAC until its entry's unicast probes have all failed, so at least
    // ucast_solicit × retrans_time after the crash, and no later than a whole cycle of its entry after it.
    const probesMs = number(noGarp, 'client neigh.eth0.ucast_solicit') * number(noGarp, 'client neigh.eth0.retrans_time_ms');
    const cycleMs = number(noGarp, 'client reachable_time_ms (drawn)') + number(noGarp, 'client neigh.eth0.delay_first_probe_time') * 1000;
    expect(noGarp.phases.movedMs!).toBeGreaterThan(garp.phases.movedMs!);
    expect(noGarp.phases.movedMs!).toBeGreaterThanOrEqual(probesMs - 100);
    expect(noGarp.phases.movedMs!).toBeLessThanOrEqual(cycleMs + probesMs + 1000);
    expect(noGarp.phases.redirectMs!).toBeGreaterThanOrEqual(probesMs - 100);
  }, 90_000);
});
