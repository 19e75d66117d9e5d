// `flipdns compare`: the same failure, redirected four ways. Each method's rows
// run one after the other (never two labs at once: the figures are timings),
// trial by trial; the summary gives each phase as mean [min-max] over trials
// and the mean curve. Without root only what needs no namespace runs: the DNS
// rows, the client-cache models and client commanding (on loopback).

import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Spread, spread } from '../drill/drill.js';
import { seededRandom } from '../drill/traffic.js';
import { type BgpOptions, BGP_DEFAULTS, bfdRow, holdRow } from './bgp.js';
import { type CommandingOptions, commandingRow } from './commanding.js';
import { type DnsOptions, DNS_DEFAULTS, dnsRows } from './dns.js';
import { CLIENT_CACHES, clientCacheRow } from './models.js';
import { PUBLISHED, type PublishedFigure } from './published.js';
import type { Method, Phases, RowContext, RowResult } from './row.js';
import { renderCompareChart } from './svg.js';
import { type VrrpOptions, garpRow, noGarpRow } from './vrrp.js';

export interface CompareSettings {
  trials: number;
  seed: number;
  /** Shorter observations, fewer clients, shorter neighbour timers: for CI. */
  short: boolean;
  methods: Method[];
  dns: DnsOptions;
  vrrp: VrrpOptions;
  bgp: BgpOptions;
  commanding: CommandingOptions;
}

export const ALL_METHODS: Method[] = ['client', 'router', 'garp', 'dns'];

export function defaultSettings(short = false): CompareSettings {
  return {
    trials: 1,
    seed: 1,
    short,
    methods: ALL_METHODS,
    dns: short ? { ...DNS_DEFAULTS, observe: 35 } : DNS_DEFAULTS,
    // The VRRP and commanding rows take their short defaults from the context.
    vrrp: {},
    bgp: BGP_DEFAULTS(short),
    commanding: {},
  };
}

export interface RowSummary {
  method: Method;
  name: string;
  how: RowResult['how'];
  parameters: RowResult['parameters'];
  phases: Partial<Record<keyof Phases, Spread>>;
  /** Mean share per bin over the trials that had the bin. */
  curve: Array<[number, number]>;
  binMs: number;
  requests?: Spread;
  notes: string[];
}

export interface CompareReport {
  settings: CompareSettings;
  /** Whether the namespace labs ran (root), and what did not run, each with why. */
  root: boolean;
  skipped: string[];
  rows: RowSummary[];
  published: PublishedFigure[];
  trials: RowResult[][];
}

interface PlannedRow {
  method: Method;
  label: string;
  needsRoot: boolean;
  run(ctx: RowContext): Promise<RowResult[]>;
}

function plan(settings: CompareSettings): PlannedRow[] {
  const one = (runner: (ctx: RowContext) => Promise<RowResult>) => async (ctx: RowContext) => [await runner(ctx)];
  const rows: PlannedRow[] = [
    { method: 'client', label: 'client commanding', needsRoot: false, run: one(commandingRow(settings.commanding)) },
    { method: 'router', label: 'BGP + BFD (BIRD)', needsRoot: true, run: one((ctx) => bfdRow(settings.bgp, ctx)) },
    { method: 'router', label: 'BGP without BFD (BIRD)', needsRoot: true, run: one((ctx) => holdRow(settings.bgp, ctx)) },
    { method: 'garp', label: 'VRRP with gratuitous ARP (keepalived)', needsRoot: true, run: one(garpRow(settings.vrrp)) },
    { method: 'garp', label: 'VRRP without gratuitous ARP (keepalived)', needsRoot: true, run: one(noGarpRow(settings.vrrp)) },
    {
      method: 'dns',
      label: 'DNS (flipdns, real resolvers)',
      needsRoot: false,
      run: async (ctx) => {
        const measured = await dnsRows(settings.dns, ctx);
        // Client caches stack on the resolver that honours the TTL.
        const honest = measured.find((row) => row.parameters.resolver === 'unbound') ?? measured[0];
        return [...measured, ...CLIENT_CACHES.filter((cache) => cache.holdSeconds(settings.dns.ttl) > 0).map((cache) => clientCacheRow(honest, cache, settings.dns.ttl))];
      },
    },
  ];
  return rows.filter((row) => settings.methods.includes(row.method));
}

export async function runCompare(settings: CompareSettings, progress: (line: string) => void): Promise<CompareReport> {
  const root = process.getuid?.() === 0;
  const rows = plan(settings);
  const skipped = root ? [] : rows.filter((row) => row.needsRoot).map((row) => `${row.label}: needs root (network namespaces)`);
  const runnable = rows.filter((row) => root || !row.needsRoot);
  const trials: RowResult[][] = [];
  for (let trial = 0; trial < settings.trials; trial++) {
    const results: RowResult[] = [];
    for (const row of runnable) {
      progress(`trial ${trial + 1} of ${settings.trials}: ${row.label}`);
      const ctx: RowContext = { trial, random: seededRandom(settings.seed + trial * 7919 + results.length), progress: (line) => progress(`  ${line}`), short: settings.short };
      results.push(...(await row.run(ctx)));
    }
    trials.push(results);
  }
  return { settings, root, skipped, rows: summarize(trials), published: PUBLISHED, trials };
}

export function summarize(trials: RowResult[][]): RowSummary[] {
  const names = [...new Set(trials.flatMap((results) => results.map((row) => row.name)))];
  return names.map((name) => {
    const seen = trials.flatMap((results) => results.filter((row) => row.name === name));
    const first = seen[0];
    const phases: RowSummary['phases'] = {};
    for (const phase of ['detectMs', 'decideMs', 'redirectMs', 'movedMs'] as const) {
      const values = seen.map((row) => row.phases[phase]).filter((value): value is number => value !== undefined);
      if (values.length > 0) phases[phase] = spread(values);
    }
    const starts = [...new Set(seen.flatMap((row) => row.curve.map(([ms]) => ms)))].sort((a, b) => a - b);
    const curve = starts.flatMap((ms): Array<[number, number]> => {
      const shares = seen.map((row) => shareAt(row, ms)).filter((share): share is number => share !== undefined);
      return shares.length === 0 ? [] : [[ms, shares.reduce((a, b) => a + b, 0) / shares.length]];
    });
    const requests = seen.map((row) => row.requests).filter((value): value is number => value !== undefined);
    return {
      method: first.method,
      name,
      how: first.how,
      parameters: first.parameters,
      phases,
      curve,
      binMs: binWidth(curve),
      ...(requests.length > 0 && { requests: spread(requests) }),
      notes: first.notes,
    };
  });
}

/**
 * One trial's share in the bin starting at `ms`; past the end of its curve, 0
 * once every client had moved (a trial observed for less time than another is
 * not a trial that kept failing); undefined where it says nothing.
 */
function shareAt(row: RowResult, ms: number): number | undefined {
  const point = row.curve.find(([start]) => start === ms);
  if (point) return point[1];
  const end = row.curve.length > 0 ? row.curve[row.curve.length - 1][0] : -Infinity;
  return ms > end && row.phases.movedMs !== undefined && ms >= row.phases.movedMs ? 0 : undefined;
}

/** The curve's bin: the smallest step between its points (1 s when it has one point). */
function binWidth(curve: Array<[number, number]>): number {
  let width = Infinity;
  for (let i = 1; i < curve.length; i++) width = Math.min(width, curve[i][0] - curve[i - 1][0]);
  return Number.isFinite(width) ? width : 1000;
}

/** Writes compare.json and compare.svg into `out` (default: a new temp dir); returns their paths. */
export function writeCompare(report: CompareReport, out?: string): { json: string; svg: string } {
  const dir = out ?? mkdtempSync(join(tmpdir(), 'flipdns-compare-out-'));
  mkdirSync(dir, { recursive: true });
  const json = join(dir, 'compare.json');
  const svg = join(dir, 'compare.svg');
  writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  writeFileSync(svg, renderCompareChart(report));
  return { json, svg };
}
