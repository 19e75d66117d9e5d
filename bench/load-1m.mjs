#!/usr/bin/env node
// Time and memory of loading a 1,000,000-record zone with flipdns's loader.
//
//   npm run build && node bench/load-1m.mjs [--records 1000000] [--json FILE] [--keep]
//
// Generates one zone file of --records records in a temp dir (a realistic mix:
// A on every name, AAAA on every other, TXT, MX and CNAME on some, a few
// delegations with glue), then times `loadZoneDir(dir)` from dist/zone/load.js
// and prints the seconds and the process memory (rss, heapUsed) before and
// after, with garbage collected before each measurement (the script re-runs
// itself with --expose-gc).

import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fmt, parseArgs, ROOT } from './lib.mjs';

if (typeof globalThis.gc !== 'function') {
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.execArgv, ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const opts = parseArgs(process.argv.slice(2), { records: 1_000_000, json: '', keep: false });
if (opts.help) {
  console.log('usage: node bench/load-1m.mjs [--records N] [--json FILE] [--keep]');
  process.exit(0);
}

const ORIGIN = 'load.test';

/** Writes the zone; returns the number of records written. */
async function writeZone(file, target) {
  const out = createWriteStream(file);
  let n = 0;
  let pending = [];
  const emit = (line) => {
    pending.push(line);
    n++;
  };
  const flush = async () => {
    if (!out.write(pending.join('\n') + '\n')) await new Promise((r) => out.once('drain', r));
    pending = [];
  };
  emit(`$ORIGIN ${ORIGIN}.`);
  n--; // a directive, not a record
  emit('$TTL 3600');
  n--;
  emit(`@ IN SOA ns1.${ORIGIN}. hostmaster.${ORIGIN}. 1 7200 3600 1209600 300`);
  emit('@ IN NS ns1');
  emit('@ IN NS ns2');
  emit('ns1 IN A 192.0.2.1');
  emit('ns2 IN A 192.0.2.2');
  for (let i = 0; n < target; i++) {
    const name = `host-${i}`;
    emit(`${name} IN A 198.51.${(i >> 8) & 0xff}.${i & 0xff}`);
    if (n < target && i % 2 === 0) emit(`${name} IN AAAA 2001:db8:${(i >> 16).toString(16)}::${(i & 0xffff).toString(16)}`);
    if (n < target && i % 10 === 3) emit(`${name} IN TXT "record ${i} v=spf1 -all"`);
    if (n < target && i % 20 === 7) emit(`${name} IN MX 10 mail-${i % 1000}`);
    if (n < target && i % 25 === 11) emit(`www-${i} IN CNAME ${name}`);
    if (n + 3 <= target && i % 1000 === 999) {
      emit(`sub-${i} IN NS ns.sub-${i}`);
      emit(`ns.sub-${i} IN A 203.0.113.${i % 256}`);
      emit(`sub-${i} IN NS ns2.${ORIGIN}.`);
    }
    if (pending.length >= 10000) await flush();
  }
  await flush();
  await new Promise((r) => out.end(r));
  return n;
}

function mem() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers };
}

const MB = (b) => `${fmt(b / 1048576, 1)} MiB`;

async function main() {
  const loaderPath = join(ROOT, 'dist/zone/load.js');
  if (!existsSync(loaderPath)) throw new Error(`flipdns's zone loader is not built (${loaderPath} missing): run \`npm run build\``);
  const { loadZoneDir } = await import(pathToFileURL(loaderPath).href);
  if (typeof loadZoneDir !== 'function') throw new Error(`${loaderPath} does not export loadZoneDir`);

  const dir = mkdtempSync(join(tmpdir(), 'flipdns-load-'));
  try {
    const file = join(dir, `${ORIGIN}.zone`);
    const t0 = process.hrtime.bigint();
    const written = await writeZone(file, opts.records);
    const genSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
    console.log(`# flipdns zone load bench: ${new Date().toISOString()}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}`);
    console.log(`# generated ${fmt(written)} records, ${MB(statSync(file).size)} in ${genSeconds.toFixed(1)} s: ${file}`);

    const before = mem();
    const start = process.hrtime.bigint();
    const result = await loadZoneDir(dir);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const peakRss = process.resourceUsage().maxRSS * 1024;
    const after = mem();

    const zones = result.zones instanceof Map ? [...result.zones.values()] : [];
    const records = zones.reduce((a, z) => a + (z.recordCount ?? 0), 0);
    const errors = result.errors ?? [];
    const warnings = result.warnings ?? [];
    console.log(`loadZoneDir: ${seconds.toFixed(2)} s for ${fmt(records)} records in ${zones.length} zone(s) (${fmt(records / seconds)} records/s); ` +
      `${errors.length} errors, ${warnings.length} warnings, failed files: ${JSON.stringify(result.failedFiles ?? [])}`);
    for (const e of errors.slice(0, 5)) console.log(`  error: ${typeof e === 'string' ? e : `${e.file}:${e.line}: ${e.message}`}`);
    console.log(`memory before: rss ${MB(before.rss)}, heapUsed ${MB(before.heapUsed)}`);
    console.log(`memory after:  rss ${MB(after.rss)}, heapUsed ${MB(after.heapUsed)} (zone data kept alive; gc run)`);
    console.log(`delta:         rss ${MB(after.rss - before.rss)}, heapUsed ${MB(after.heapUsed - before.heapUsed)} (${fmt((after.heapUsed - before.heapUsed) / Math.max(records, 1))} heap bytes per record)`);
    console.log(`peak rss:      ${MB(peakRss)}`);
    console.log(`target: < 10 s -> ${seconds < 10 ? 'met' : 'NOT met'}`);
    if (records !== written) console.log(`WARNING: wrote ${written} records, the loader reports ${records}`);
    if (opts.json) {
      writeFileSync(opts.json, JSON.stringify({ date: new Date().toISOString(), cpus: cpus().length, node: process.version, written, records, seconds, before, after, peakRss, errors: errors.length, warnings: warnings.length }, null, 2) + '\n');
    }
    // Keep the zones alive until after the measurement.
    if (result.zones.size < 0) console.log('unreachable');
  } finally {
    if (opts.keep) console.log(`# kept ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  console.error(`load-1m: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
  process.exit(1);
});
