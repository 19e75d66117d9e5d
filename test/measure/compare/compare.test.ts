// `flipdns compare` as an operator runs it, short: the DNS rows (a real drill
// through unbound, with and without a 30 s TTL floor), the client-cache models
// stacked on them, and client commanding. The namespace rows have their own
// tests beside this one. Relations only: nothing here depends on this
// machine's speed beyond generous bounds.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import type { CompareReport, RowSummary } from '../../../src/measure/compare/compare.js';
import { runCli } from '../../cli/run-cli.js';

const TTL_S = 5;
/** The floor `unbound-clamp` puts on every TTL (cache-min-ttl). */
const FLOOR_S = 30;
/** Polling, bins of 1 s and clocks read across processes. */
const SLACK_MS = 1500;

function row(report: CompareReport, part: string): RowSummary {
  const found = report.rows.find((r) => r.name.includes(part));
  if (!found) throw new Error(`no row "${part}" in ${report.rows.map((r) => r.name).join(' | ')}`);
  return found;
}

it('DNS behind a 30 s floor keeps clients on the dead node past the TTL and up to about 30 s; client caches add their hold; commanding moves everyone', async () => {
  const out = mkdtempSync(join(tmpdir(), 'flipdns-compare-test-'));
  const run = await runCli(['compare', '--short', '--methods', 'dns,client', '--ttl', String(TTL_S), '--out', out], {}, 180_000);
  expect(run.code, run.stderr).toBe(0);
  const report = JSON.parse(readFileSync(join(out, 'compare.json'), 'utf8')) as CompareReport;
  expect(readFileSync(join(out, 'compare.svg'), 'utf8')).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);

  const honest = row(report, 'through unbound, defaults');
  const clamped = row(report, 'cache-min-ttl');
  for (const measured of [honest, clamped]) {
    expect(measured.how).toBe('measured');
    expect(measured.phases.detectMs!.mean).toBeLessThanOrEqual(measured.phases.redirectMs!.mean);
    expect(measured.phases.redirectMs!.mean).toBeLessThanOrEqual(measured.phases.movedMs!.mean);
  }
  const redirect = honest.phases.redirectMs!.mean;
  // A cache that honours the TTL lets go within one TTL of the redirect.
  expect(honest.phases.movedMs!.mean).toBeLessThanOrEqual(redirect + TTL_S * 1000 + SLACK_MS);
  // The floor keeps the dead answer past the TTL (the seed puts the failure well into its cycle), never past the floor.
  expect(clamped.phases.movedMs!.mean).toBeGreaterThan(redirect + TTL_S * 1000);
  expect(clamped.phases.movedMs!.mean).toBeLessThanOrEqual(redirect + FLOOR_S * 1000 + SLACK_MS);

  // Each modelled client cache holds an answer its fixed time on top of the honest resolver.
  const java = row(report, 'Java');
  expect(java.how).toBe('modelled');
  expect(java.phases.movedMs!.mean).toBeGreaterThanOrEqual(30_000);
  expect(row(report, 'Chrome').phases.movedMs!.mean).toBeGreaterThan(java.phases.movedMs!.mean);

  const commanding = row(report, 'clients told one by one');
  expect(commanding.how).toBe('measured');
  expect(commanding.phases.movedMs!.mean).toBeLessThan(honest.phases.movedMs!.mean);

  // The table says which rows were measured and which modelled, and what others publish.
  expect(run.stdout).toMatch(/DNS redirection .* measured /);
  expect(run.stdout).toMatch(/DNS redirection .*Java.* modelled /);
  expect(run.stdout).toMatch(/published figures/);
}, 200_000);

it('refuses an unknown method in one line, before anything starts', async () => {
  const run = await runCli(['compare', '--methods', 'dns,carrier-pigeon'], {}, 20_000);
  expect(run.code).not.toBe(0);
  expect(run.stderr.trim().split('\n')).toHaveLength(1);
  expect(run.stderr).toMatch(/carrier-pigeon/);
});
