// The router-commanding rows, run for real: BIRD 2 in network namespaces, the
// preferred node's switch port pulled (a failure the router is not told of).
// Relations that hold on any machine: with BFD the route moves after about
// interval × multiplier, without BFD after about the hold time; the phases come
// in order; every request fails until the route moves, none after. Needs root
// and bird2: without them the tests fail, they do not skip. The row runs
// compiled, from dist/ (its service and prober are scripts next to it there;
// `npm test` builds first).

import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import type * as Bgp from '../../../src/measure/compare/bgp.js';
import { findBinary } from '../../../src/measure/drill/lab.js';
import type { RowContext, RowResult } from '../../../src/measure/compare/row.js';

/** Clocks read in different processes (BIRD, `ip monitor`, the prober), and one probe interval. */
const SLACK_MS = 50;
const BUILT = new URL('../../../dist/measure/compare/bgp.js', import.meta.url);

const labs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('flipdns-lab-bgp-'));
/** This process's namespaces (NetLab names them fdc<pid>x<n>-<host>; other labs may run beside this one). */
const namespaces = (): string[] => (existsSync('/run/netns') ? readdirSync('/run/netns') : []).filter((name) => name.startsWith(`fdc${process.pid % 100_000}x`));

async function load(): Promise<typeof Bgp> {
  if (process.getuid?.() !== 0) throw new Error('the BGP rows need root (network namespaces): run the tests as root');
  findBinary('bird', 'bird2');
  findBinary('birdc', 'bird2');
  if (!existsSync(BUILT)) throw new Error('dist/ is missing: run `npm run build` (npm test does)');
  return (await import(BUILT.href)) as typeof Bgp;
}

async function run(row: 'bfdRow' | 'holdRow', options: Partial<Bgp.BgpOptions>, phase: number): Promise<RowResult> {
  const bgp = await load();
  const before = { labs: labs(), namespaces: namespaces() };
  const ctx: RowContext = { trial: 0, random: () => phase, progress: () => undefined, short: true };
  const result = await bgp[row](options, ctx);
  // Its lab (configs, logs) and its namespaces are gone with the daemons.
  expect(labs().filter((name) => !before.labs.includes(name))).toEqual([]);
  expect(namespaces().filter((name) => !before.namespaces.includes(name))).toEqual([]);
  return result;
}

function checkRelations(result: RowResult): { detectMs: number; movedMs: number } {
  const { detectMs, decideMs, redirectMs, movedMs } = result.phases;
  expect(result.method).toBe('router');
  expect(result.how).toBe('measured');
  expect(detectMs, result.notes.join('; ')).toBeDefined();
  expect(decideMs, result.notes.join('; ')).toBeDefined();
  expect(redirectMs, result.notes.join('; ')).toBeDefined();
  expect(movedMs, result.notes.join('; ')).toBeDefined();
  // Noticed, then the best route changed, then the kernel route, then the clients' requests.
  expect(detectMs!).toBeGreaterThan(0);
  expect(decideMs!).toBeGreaterThanOrEqual(detectMs! - SLACK_MS);
  expect(redirectMs!).toBeGreaterThanOrEqual(decideMs! - SLACK_MS);
  expect(movedMs!).toBeGreaterThanOrEqual(redirectMs! - SLACK_MS);
  // The client reached nodeA before the failure.
  expect(result.notes.filter((note) => note.includes('not answered by nodeA'))).toEqual([]);
  // A silent failure: every request failed until the router noticed, none after the route moved.
  expect(result.requests).toBeGreaterThan(0);
  const binMs = Number(result.parameters.binMs);
  for (const [bin, share] of result.curve) {
    if (bin + binMs <= detectMs! - SLACK_MS) expect(share, `bin ${bin}`).toBe(1);
    if (bin >= movedMs! + SLACK_MS) expect(share, `bin ${bin}`).toBe(0);
  }
  return { detectMs: detectMs!, movedMs: movedMs! };
}

describe('router commanding: BGP with BIRD 2', () => {
  it('with BFD 100 ms × 5 the route moves within a few BFD intervals', { timeout: 60_000 }, async () => {
    const result = await run('bfdRow', {}, 0.5);
    const { detectMs, movedMs } = checkRelations(result);
    const interval = Number(result.parameters.bfdIntervalMs);
    const multiplier = Number(result.parameters.bfdMultiplier);
    expect([interval, multiplier]).toEqual([100, 5]);
    expect(result.name).toBe('router: BGP + BFD 100 ms × 5 (BIRD 2)');
    // BFD declares the session down multiplier × interval after the last packet it received, which left
    // at most one (jittered) interval before the failure: not before (multiplier − 1) × interval.
    expect(detectMs).toBeGreaterThanOrEqual(interval * (multiplier - 1) - SLACK_MS);
    expect(movedMs).toBeLessThan(interval * (multiplier + 5) + 500);
  });

  it('without BFD, hold 3 s, the route moves when the hold timer runs out', { timeout: 60_000 }, async () => {
    const result = await run('holdRow', {}, 0.5);
    const { detectMs, movedMs } = checkRelations(result);
    const holdMs = Number(result.parameters.holdS) * 1000;
    const keepaliveMs = Number(result.parameters.keepaliveS) * 1000;
    expect([holdMs, keepaliveMs]).toEqual([3000, 1000]);
    expect(result.name).toBe('router: BGP, hold 3 s, no BFD (BIRD 2)');
    expect(result.notes.some((note) => note.includes('Hold timer expired'))).toBe(true);
    // BIRD restarts the hold timer at 75-100% of the hold time (RFC 4271 jitter) on each keepalive, and
    // nodeA's last keepalive left at most one keepalive time before the failure.
    expect(detectMs).toBeGreaterThanOrEqual(0.75 * holdMs - keepaliveMs - SLACK_MS);
    // BIRD 2.0.12 flushes the route at its main loop's next wake-up after the hold timer (at most one
    // keepalive time later, when nodeB's session timer fires): well under hold + keepalive + 1 s.
    expect(movedMs).toBeLessThan(holdMs + keepaliveMs + 1000);
  });
});
