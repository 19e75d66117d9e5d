// The client-commanding row, run for real on loopback with few and with many
// clients: relations that hold on any machine. Reaching every client one by
// one costs more with more clients; detection waits fall × interval after the
// last heartbeat; the phases come in order; the real requests of the probing
// clients fail exactly until their client's switch. The helper processes run
// compiled, from dist/ (`npm run build`; `npm test` builds first).

import { readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { commandingRow } from '../../../src/measure/compare/commanding.js';
import type { RowResult } from '../../../src/measure/compare/row.js';

/** Timers that fire a little early or late, and clocks read in different processes. */
const SLACK_MS = 5;
const INTERVAL_MS = 100;
const FALL = 3;

const labs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('flipdns-lab-compare-client-'));

async function run(clients: number, phase: number): Promise<RowResult> {
  const before = labs();
  const result = await commandingRow({ clients, intervalMs: INTERVAL_MS, fall: FALL })({ trial: 0, random: () => phase, progress: () => undefined, short: false });
  // Its lab (logs) is gone with the processes it held.
  expect(labs().filter((name) => !before.includes(name))).toEqual([]);
  return result;
}

const number = (result: RowResult, key: string): number => {
  const value = result.parameters[key];
  expect(typeof value, key).toBe('number');
  return value as number;
};

function checkRelations(result: RowResult, clients: number): void {
  const { detectMs, decideMs, redirectMs, movedMs } = result.phases;
  expect(result.method).toBe('client');
  expect(result.how).toBe('measured');
  expect(result.parameters.clients).toBe(clients);
  // Down once no beat came for fall × interval: that long after the last beat, and so at least (fall − 1) × interval after the crash.
  expect(number(result, 'detectAfterLastBeatMs')).toBeGreaterThanOrEqual(FALL * INTERVAL_MS - SLACK_MS);
  expect(detectMs!).toBeGreaterThanOrEqual((FALL - 1) * INTERVAL_MS - SLACK_MS);
  expect(detectMs! + number(result, 'lastBeatBeforeCrashMs')).toBeCloseTo(number(result, 'detectAfterLastBeatMs'), 0);
  // Ordered phases.
  expect(decideMs).toBe(detectMs);
  expect(redirectMs!).toBeGreaterThanOrEqual(decideMs!);
  expect(number(result, 'firstCommandMs')).toBe(redirectMs);
  expect(number(result, 'lastCommandMs')).toBeGreaterThanOrEqual(redirectMs!);
  expect(number(result, 'firstToLastCommandMs')).toBeCloseTo(number(result, 'lastCommandMs') - redirectMs!, 1);
  expect(number(result, 'firstSwitchedMs')).toBeGreaterThanOrEqual(redirectMs! - 1);
  expect(movedMs!).toBeGreaterThanOrEqual(number(result, 'lastCommandMs') - 1);
  expect(movedMs!).toBe(number(result, 'lastSwitchedMs'));
  // The curve: every client unswitched until detection, none after the last switch, never rising.
  const { curve } = result;
  expect(curve[0]).toEqual([0, 1]);
  expect(curve[curve.length - 1][1]).toBe(0);
  for (let i = 1; i < curve.length; i++) expect(curve[i][1]).toBeLessThanOrEqual(curve[i - 1][1]);
  expect(curve.filter(([bin]) => bin + 10 <= detectMs!).every(([, share]) => share === 1)).toBe(true);
  // The real requests agree with the model: failed before the switch (the primary is dead), answered by the survivor after it.
  expect(result.requests).toBeGreaterThan(0);
  expect(number(result, 'realRequestsFailed')).toBeGreaterThan(0);
  expect(number(result, 'realGoodBeforeSwitch')).toBe(0);
  expect(number(result, 'realFailedAfterSwitch')).toBe(0);
}

describe('compare: client commanding', () => {
  it('100 and 2,000 clients: reaching every client takes longer with more of them; detection and phases hold', async () => {
    const few = await run(100, 0.3);
    checkRelations(few, 100);
    const many = await run(2000, 0.7);
    checkRelations(many, 2000);
    expect(many.parameters.clientProcesses).toBeGreaterThan(1);
    expect(number(many, 'firstToLastCommandMs')).toBeGreaterThan(number(few, 'firstToLastCommandMs'));
    expect(many.name).toBe('client commanding: 2000 clients told one by one over TCP');
  }, 60_000);
});
