// Short drills, run as an operator would run them (`flipdns drill`), whose
// figures must satisfy relations that hold on any machine: the ledger, the
// probe and what clients saw tell the same story. No assertion depends on
// this machine's speed beyond generous bounds.

import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DrillReport } from '../../src/measure/drill/drill.js';
import { RESOLVER_VARIANTS, expectedBehaviour } from '../../src/measure/drill/resolvers.js';
import { runCli } from '../cli/run-cli.js';

/** Polling jitter and clocks read across processes. */
const SLACK_MS = 500;

const labs = (): string[] => readdirSync(tmpdir()).filter((name) => name.startsWith('flipdns-lab-drill-'));

async function drill(args: string[]): Promise<{ report: DrillReport; stdout: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), 'flipdns-drill-test-'));
  const before = labs();
  const run = await runCli(['drill', '--out', out, ...args], {}, 150_000);
  if (run.code !== 0) throw new Error(`flipdns drill exited with ${run.code}: ${run.stderr}`);
  // Its lab (configs, logs, zone files) is gone with the processes it held.
  expect(labs().filter((name) => !before.includes(name))).toEqual([]);
  return { report: JSON.parse(readFileSync(join(out, 'drill.json'), 'utf8')) as DrillReport, stdout: run.stdout, out };
}

function resolver(report: DrillReport, variant: string) {
  return report.trials[0].resolvers.find((r) => r.variant === variant)!;
}

/** The relations every drill must satisfy, whatever its settings. */
function checkRelations(report: DrillReport): void {
  const { settings } = report;
  const [trial] = report.trials;
  const flipped = Math.max(...trial.instances.map((i) => i.flip));
  expect(trial.decision).toBeGreaterThanOrEqual(0);
  expect(flipped).toBeGreaterThanOrEqual(trial.decision);
  for (const r of trial.resolvers) {
    // The probe classifies each variant as what it is.
    expect(r.probe.class, `${r.variant}: ${r.probe.evidence.join('; ')}`).toBe(expectedBehaviour(r.variant, settings.ttl));
    expect(r.lookups).toBeGreaterThan(0);
    // The ledger's bound is never earlier than the last dead answer seen through a resolver that honours TTLs.
    const summary = report.resolvers.find((s) => s.variant === r.variant)!;
    if (RESOLVER_VARIANTS[r.variant].honoursTtl) expect(summary.ledgerCovers, `${r.variant}: ledger ${JSON.stringify(r.ledger)}, last dead ${r.lastDead}`).toEqual([true]);
  }
  // Default unbound stops handing out the dead address within detection + flip + TTL + 1 s.
  expect(resolver(report, 'unbound').lastDead ?? 0).toBeLessThanOrEqual(flipped + (settings.ttl + 1) * 1000 + SLACK_MS);
  // The clamp holds it up to 30 s after the flip, and no longer.
  expect(resolver(report, 'unbound-clamp').staleAfterFlip).toBeLessThanOrEqual(31_000 + SLACK_MS);
  expect(resolver(report, 'unbound-clamp').stableNew).toBeDefined();
}

describe('flipdns drill', () => {
  it('TTL 5, every resolver variant, the primary service fails: the three instruments agree', async () => {
    const { report, stdout, out } = await drill(['--ttl', '5', '--observe', '36', '--warmup', '5', '--clients', '200', '--rate', '0.05']);
    checkRelations(report);
    expect(report.settings.resolvers).toEqual(Object.keys(RESOLVER_VARIANTS));
    const [trial] = report.trials;
    // The agent reports the failed check: decided within about one check interval, long before the deadline.
    expect(trial.decision).toBeLessThan(report.settings.intervalMs * report.settings.fall);
    // Its copy was fetched at most 6 s before the failure (the warm-up), so the clamp held it well past our TTL.
    expect(resolver(report, 'unbound-clamp').staleAfterFlip).toBeGreaterThan((5 + 1) * 1000);
    expect(resolver(report, 'unbound-clamp').ledger?.class).toBe('late');
    // What an operator reads: the table, the JSON, the chart.
    expect(stdout).toMatch(/^detection \(failure to down decision\): \d+ ms$/m);
    expect(stdout).toMatch(/^unbound-clamp +clamps /m);
    expect(readFileSync(join(out, 'drill.svg'), 'utf8')).toMatch(/^<svg [^>]*>[\s\S]*unbound-serve-expired[\s\S]*<\/svg>\n$/);
  }, 150_000);

  it('TTL 1, two instances on Redis, the whole primary node vanishes: both flip together at the deadline', async () => {
    const { report } = await drill(['--ttl', '1', '--observe', '34', '--warmup', '2', '--store', 'redis', '--fault', 'node', '--resolvers', 'unbound,unbound-clamp,unbound-serve-expired', '--clients', '200', '--rate', '0.05']);
    checkRelations(report);
    const [trial] = report.trials;
    expect(trial.instances.map((i) => i.id)).toEqual(['drill-a', 'drill-b']);
    const flips = trial.instances.map((i) => i.flip);
    expect(Math.max(...flips) - Math.min(...flips)).toBeLessThan(250);
    // Silence is judged at the deadline: no sooner than (fall - 1) intervals after the failure (the last beat came at most one interval before it).
    const { intervalMs, fall } = report.settings;
    expect(trial.decision).toBeGreaterThanOrEqual((fall - 1) * intervalMs);
    expect(trial.decision).toBeLessThan(fall * intervalMs + 1000);
  }, 150_000);
});
