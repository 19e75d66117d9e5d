#!/usr/bin/env node
// The staleness ledger on its own: memory per tracked resolver, and what one
// pool answer costs it, with one source address and with many.
//
//   npm run build && node --expose-gc bench/ledger.mjs [--resolvers 100000] [--calls 5000000]
//
// Memory: fills a Ledger with --resolvers source addresses, each served one
// pool answer, and reports the heap growth per resolver (after GC); then flips
// the pool and has every resolver ask again, and reports the growth per
// re-query the flip record keeps.
// Cost: times --calls calls of served() with one source and one pool, one
// source and 10,000 pools (as a dnsperf run from one address sees it), and
// --resolvers sources, against an empty loop; ns per call.

import { performance } from 'node:perf_hooks';
import { Ledger } from '../dist/measure/ledger/ledger.js';
import { fmt, parseArgs } from './lib.mjs';

const opts = parseArgs(process.argv.slice(2), { resolvers: 100000, calls: 5000000 });
if (opts.help) {
  console.log('usage: npm run build && node --expose-gc bench/ledger.mjs [--resolvers N] [--calls N]');
  process.exit(0);
}
if (typeof globalThis.gc !== 'function') throw new Error('run with node --expose-gc');

const KEY = 'app.bench.test./A';
const served = [{ key: KEY, version: 1, ttl: 5 }];
const sources = Array.from({ length: opts.resolvers }, (_, i) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`);

function heap() {
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

// Warm the code paths on a throwaway ledger, so that compiled code is not counted as data.
const warm = new Ledger({ capacity: 1000, flipsKept: 10, watchMs: 300_000 });
for (let round = 0; round < 3; round++) {
  for (const source of sources.slice(0, 1000)) warm.served(source, [{ key: KEY, version: round + 1, ttl: 5 }]);
  warm.answerChanged({ key: KEY, name: 'app.bench.test.', type: 'A', from: round + 1, to: round + 2, previous: ['192.0.2.1'], values: ['192.0.2.2'], ttl: 5 });
}

const ledger = new Ledger({ capacity: opts.resolvers, flipsKept: 10, watchMs: 300_000 });
const before = heap();
for (const source of sources) ledger.served(source, served);
const filled = heap();
ledger.answerChanged({ key: KEY, name: 'app.bench.test.', type: 'A', from: 1, to: 2, previous: ['192.0.2.1'], values: ['192.0.2.2'], ttl: 5 });
const flipped = heap();
const next = [{ key: KEY, version: 2, ttl: 5 }];
for (const source of sources) ledger.served(source, next);
const requeried = heap();
// Read the ledger after the last measure: a ledger no longer used could be collected before it.
const { tracked, pools } = ledger.report();
console.log(`memory: ${fmt((filled - before) / opts.resolvers)} bytes per tracked resolver (${fmt(tracked)} resolvers, one pool each, source strings included)`);
console.log(`        ${fmt((flipped - filled) / opts.resolvers)} bytes per resolver in a flip's stale set, ${fmt((requeried - flipped) / pools[0].flips[0].requeries.length)} bytes per re-query recorded`);

function time(label, call) {
  for (let i = 0; i < 200000; i++) call(i);
  const start = performance.now();
  for (let i = 0; i < opts.calls; i++) call(i);
  const ns = ((performance.now() - start) * 1e6) / opts.calls;
  console.log(`${label}: ${ns.toFixed(1)} ns per call`);
  return ns;
}

const fresh = new Ledger({ capacity: opts.resolvers, flipsKept: 10, watchMs: 300_000 });
let sink = 0;
const empty = time('empty loop', (i) => (sink += sources[i % sources.length].length));
const one = time('served(), one source', () => fresh.served('127.0.0.1', served));
const poolAnswers = Array.from({ length: 10000 }, (_, i) => [{ key: `p${i}.bench.test./A`, version: 1, ttl: 5 }]);
const manyPools = time('served(), one source, 10,000 pools round-robin', (i) => fresh.served('127.0.0.2', poolAnswers[i % poolAnswers.length]));
const many = time(`served(), ${fmt(opts.resolvers)} sources round-robin`, (i) => fresh.served(sources[i % sources.length], served));
console.log(`cost over the empty loop: ${(one - empty).toFixed(1)} ns (one source), ${(manyPools - empty).toFixed(1)} ns (10,000 pools), ${(many - empty).toFixed(1)} ns (many sources); sink ${sink > 0}`);
