// `flipdns drill`: the trials, their summary (mean [min-max] over trials), and
// the files: JSON with every figure and the settings, and an SVG chart.

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESOLVER_VARIANTS, type ResolverVariant } from './resolvers.js';
import { renderChart } from './svg.js';
import { type DrillSettings, type TrialOutcome, runTrial } from './trial.js';

export interface Spread {
  mean: number;
  min: number;
  max: number;
}

export interface ResolverSummary {
  variant: ResolverVariant;
  description: string;
  /** The probe's class in each trial. */
  classes: string[];
  staleAfterFlip: Spread;
  /** Share of client lookups that got the dead address over the observed seconds. */
  deadShare: Spread;
  /** Per second since the failure, the dead share averaged over trials (undefined: no lookup that second). */
  deadShareBySecond: Array<number | undefined>;
  /** Whether the ledger's bound covered every dead answer seen, in each trial (TTL-honouring resolvers only). */
  ledgerCovers?: boolean[];
}

export interface DrillReport {
  settings: DrillSettings;
  seeds: number[];
  /** Down decision after the failure, ms. */
  detection: Spread;
  /** Every instance answering the backup, after the failure, ms. */
  detectAndFlip: Spread;
  /** Queries the resolvers sent flipdns over the observed seconds. */
  resolverQueries: Spread;
  /** Before the failure: queries per second the resolvers sent flipdns, and times a node turned late. */
  steadyQueriesPerSecond: Spread;
  steadyLateEvents: Spread;
  resolvers: ResolverSummary[];
  trials: TrialOutcome[];
}

/** Slack for comparing the ledger's bound (server clock) with answers seen (drill clock). */
const CLOCK_SLACK_MS = 20;

export async function runDrill(settings: DrillSettings, trials: number, seed: number, progress: (line: string) => void): Promise<DrillReport> {
  const outcomes: TrialOutcome[] = [];
  for (let i = 0; i < trials; i++) {
    progress(`trial ${i + 1} of ${trials} (seed ${seed + i})`);
    outcomes.push(await runTrial(settings, seed + i, progress));
  }
  return summarize(settings, outcomes);
}

export function summarize(settings: DrillSettings, trials: TrialOutcome[]): DrillReport {
  return {
    settings,
    seeds: trials.map((t) => t.seed),
    detection: spread(trials.map((t) => t.decision)),
    detectAndFlip: spread(trials.map((t) => Math.max(...t.instances.map((i) => i.flip)))),
    resolverQueries: spread(trials.map((t) => t.resolverQueries)),
    steadyQueriesPerSecond: spread(trials.map((t) => t.steady.queriesPerSecond)),
    steadyLateEvents: spread(trials.map((t) => t.steady.lateEvents)),
    resolvers: settings.resolvers.map((variant) => {
      const seen = trials.map((t) => t.resolvers.find((r) => r.variant === variant)!);
      const share = (dead: number, total: number): number => (total === 0 ? 0 : dead / total);
      return {
        variant,
        description: RESOLVER_VARIANTS[variant].description,
        classes: seen.map((r) => r.probe.class),
        staleAfterFlip: spread(seen.map((r) => r.staleAfterFlip)),
        deadShare: spread(seen.map((r) => share(r.deadLookups, r.lookups))),
        deadShareBySecond: Array.from({ length: settings.observe }, (_, s) => {
          const shares = seen.filter((r) => r.bins[s][0] > 0).map((r) => share(r.bins[s][1], r.bins[s][0]));
          return shares.length === 0 ? undefined : shares.reduce((a, b) => a + b, 0) / shares.length;
        }),
        ...(RESOLVER_VARIANTS[variant].honoursTtl && { ledgerCovers: seen.map((r) => ledgerCovers(r)) }),
      };
    }),
    trials,
  };
}

/** The ledger's bound is never earlier than the last dead answer seen through a resolver that honours TTLs. */
export function ledgerCovers(r: TrialOutcome['resolvers'][number]): boolean {
  if (r.lastDead === undefined) return true;
  if (r.ledger === undefined) return r.staleAfterFlip <= CLOCK_SLACK_MS;
  return r.ledger.bound + CLOCK_SLACK_MS >= r.lastDead;
}

export function spread(values: number[]): Spread {
  return { mean: values.reduce((a, b) => a + b, 0) / values.length, min: Math.min(...values), max: Math.max(...values) };
}

/** Writes drill.json and drill.svg into `out` (default: a new temp dir); returns their paths. */
export function writeDrill(report: DrillReport, out?: string): { json: string; svg: string } {
  const dir = out ?? mkdtempSync(join(tmpdir(), 'flipdns-drill-out-'));
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'drill.json');
  const svg = join(dir, 'drill.svg');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(svg, renderChart(report));
  return { json, svg };
}
