// Every metric the code registers is documented as the code has it: a row in
// the table of docs/operations.md (what operators read), a row in the index of
// src/metrics/README.md naming how --workers merges it and which folder's
// README describes it, and a row in that README. The names come from two
// places so that neither can hide one: the quoted `flipdns_…` literals of src/
// (a metric registered through a helper, or in a file this test does not
// build) and the registries built here, which also give each metric's type,
// labels and aggregator.

import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Counter, Gauge, Histogram, Registry, Summary, collectDefaultMetrics } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LedgerMetrics } from '../../src/measure/ledger/metrics.js';
import { type HealthFigures, registerHealthMetrics } from '../../src/metrics/health-metrics.js';
import { QueryStats } from '../../src/metrics/query-stats.js';
import { type ZoneFigures, metricsRegistry, registerServerMetrics } from '../../src/metrics/registry.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SRC = join(ROOT, 'src');
const OPERATIONS = join(ROOT, 'docs', 'operations.md');
const INDEX = join(SRC, 'metrics', 'README.md');
/** What the index says of metrics the primary computes itself rather than merging the workers'. */
const FROM_LEDGERS = 'merged ledgers';

function files(dir: string, wanted: (name: string) => boolean): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path, wanted) : wanted(entry.name) ? [path] : [];
  });
}

const read = (path: string): string => readFileSync(path, 'utf8');
const shown = (path: string): string => relative(ROOT, path);

interface CodeMetric {
  type: string;
  labels: string[];
  merged: string;
}

type Registered = { name: string; aggregator: string; labelNames?: readonly string[] };

function typeOf(metric: unknown): string {
  if (metric instanceof Counter) return 'counter';
  if (metric instanceof Gauge) return 'gauge';
  if (metric instanceof Histogram) return 'histogram';
  if (metric instanceof Summary) return 'summary';
  return 'unknown';
}

/** The metrics an instance registers, by name; prom-client's process metrics apart. */
function builtMetrics(): { metrics: Map<string, CodeMetric>; defaults: string[] } {
  // Registration alone gives names, types and labels: nothing is scraped here, so no figure is ever read.
  registerServerMetrics(new QueryStats(), {} as ZoneFigures);
  registerHealthMetrics({} as HealthFigures);
  const ledger = new LedgerMetrics();
  const reference = new Registry();
  collectDefaultMetrics({ register: reference, prefix: 'flipdns_' });
  const defaults = reference.getMetricsAsArray().map((metric) => metric.name);

  const metrics = new Map<string, CodeMetric>();
  const add = (metric: Registered, merged: string): void => {
    metrics.set(metric.name, { type: typeOf(metric), labels: [...(metric.labelNames ?? [])], merged });
  };
  for (const metric of metricsRegistry.getMetricsAsArray() as unknown as Registered[]) if (!defaults.includes(metric.name)) add(metric, metric.aggregator);
  for (const metric of ledger.registry.getMetricsAsArray() as unknown as Registered[]) add(metric, FROM_LEDGERS);
  return { metrics, defaults };
}

/** Metric names quoted in the sources: every registration spells its name as a literal. */
function quotedNames(): Set<string> {
  const names = new Set<string>();
  for (const file of files(SRC, (name) => name.endsWith('.ts'))) {
    for (const match of read(file).matchAll(/['"](flipdns_[a-z0-9_]*[a-z0-9])['"]/g)) names.add(match[1]);
  }
  return names;
}

interface Row {
  name: string;
  cells: string[];
}

/** Table rows whose first cell is one metric name in backticks. */
function metricRows(markdown: string): Row[] {
  return markdown.split('\n').flatMap((line) => {
    const match = /^\|\s*`(flipdns_[a-z0-9_]+)`\s*\|(.*)\|\s*$/.exec(line);
    return match ? [{ name: match[1], cells: match[2].split('|').map((cell) => cell.trim()) }] : [];
  });
}

/** `result (\`ok\`, \`failed\`), file` → [result, file]: the values in parentheses are for people. */
function labelsOf(cell: string): string[] {
  return cell
    .replace(/\([^)]*\)/g, '')
    .replace(/`/g, '')
    .split(',')
    .map((label) => label.trim())
    .filter((label) => label !== '');
}

/** The README an index link points to: `[server/](../server/README.md#metrics)`, or `(#metrics)` for the index's own. */
function linkedReadme(link: string): string | undefined {
  const target = /\]\(([^)#]*)(?:#[^)]*)?\)/.exec(link)?.[1];
  return target === undefined ? undefined : target === '' ? INDEX : resolve(dirname(INDEX), target);
}

/** Rows of a metric table (metric | type | labels | meaning) that disagree with the code. */
function tableProblems(where: string, rows: Row[], code: Map<string, CodeMetric>): string[] {
  return rows.flatMap(({ name, cells }) => {
    const metric = code.get(name);
    if (metric === undefined) return [`${where}: ${name} is not a metric of the code`];
    const written = { type: cells[0], labels: labelsOf(cells[1]) };
    const actual = { type: metric.type, labels: metric.labels };
    return JSON.stringify(written) === JSON.stringify(actual) ? [] : [`${where}: ${name} says ${JSON.stringify(written)}, the code ${JSON.stringify(actual)}`];
  });
}

describe('the metrics documentation', () => {
  const { metrics: code, defaults } = builtMetrics();
  const names = [...new Set([...quotedNames(), ...code.keys()])].sort();
  const readmes = files(SRC, (name) => name === 'README.md');
  const metricTable = (markdown: string): Row[] => metricRows(markdown).filter((row) => row.cells.length === 3);

  it('finds the metrics it checks', () => {
    // A registration this test no longer sees would make every check below pass vacuously.
    expect(code.size).toBeGreaterThan(30);
    expect(names.filter((name) => !code.has(name)), 'quoted in src/ but not built here: add their registration to builtMetrics() so that their type and labels are checked').toEqual([]);
  });

  it('lists every metric in docs/operations.md with its type and labels, and nothing else', () => {
    const rows = metricTable(read(OPERATIONS));
    const missing = names.filter((name) => !rows.some((row) => row.name === name)).map((name) => `${name} has no row`);
    expect([...missing, ...tableProblems('docs/operations.md', rows, code)]).toEqual([]);
  });

  it('indexes every metric in src/metrics/README.md: how workers merge it, and the README that describes it', () => {
    const index = metricRows(read(INDEX)).filter((row) => row.cells.length === 2);
    const missing = names.filter((name) => !index.some((row) => row.name === name)).map((name) => `${name} is not in the index`);
    const problems = index.flatMap(({ name, cells: [merged, link] }) => {
      const metric = code.get(name);
      if (metric === undefined) return [`${name} is indexed but is not a metric of the code`];
      const readme = linkedReadme(link);
      if (readme === undefined) return [`${name}: "${link}" is not a link to a README`];
      const described = readmes.includes(readme) && metricTable(read(readme)).some((row) => row.name === name);
      return [
        ...(merged === metric.merged ? [] : [`${name}: the index says workers merge it by "${merged}", the code by "${metric.merged}"`]),
        ...(described ? [] : [`${name}: the index points to ${shown(readme)}, which has no row for it`]),
      ];
    });
    expect([...missing, ...problems]).toEqual([]);
  });

  it('describes each metric in exactly one folder README, the one the index points to, as the code has it', () => {
    const index = new Map(metricRows(read(INDEX)).filter((row) => row.cells.length === 2).map((row) => [row.name, row.cells[1]]));
    const problems = readmes.flatMap((readme) => {
      const rows = metricTable(read(readme));
      const elsewhere = rows.filter(({ name }) => index.has(name) && linkedReadme(index.get(name)!) !== readme);
      return [...tableProblems(shown(readme), rows, code), ...elsewhere.map(({ name }) => `${shown(readme)}: ${name} has a row here, but the index points elsewhere`)];
    });
    expect(problems).toEqual([]);
  });

  it('gives every folder README a Metrics section', () => {
    expect(readmes.filter((readme) => !/^## Metrics$/m.test(read(readme))).map(shown)).toEqual([]);
  });

  it("covers prom-client's process metrics by a documented prefix", () => {
    for (const doc of [OPERATIONS, INDEX]) {
      const prefixes = [...read(doc).matchAll(/`(flipdns_[a-z0-9_]+_)\*`/g)].map((match) => match[1]);
      expect(defaults.filter((name) => !prefixes.some((prefix) => name.startsWith(prefix))), shown(doc)).toEqual([]);
    }
  });

  it('names no metric that does not exist, in the READMEs and docs/operations.md', () => {
    const problems = [OPERATIONS, ...readmes].flatMap((doc) =>
      [...read(doc).matchAll(/\bflipdns_[a-z0-9_]+(\*)?/g)]
        .filter(([text, star]) => (star ? !defaults.some((name) => name.startsWith(text.slice(0, -1))) : !code.has(text)))
        .map(([text]) => `${shown(doc)}: ${text}`),
    );
    expect([...new Set(problems)]).toEqual([]);
  });
});
