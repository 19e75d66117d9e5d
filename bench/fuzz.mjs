#!/usr/bin/env node
// The long fuzz run: flipdns on the example zones, 1,000,000 mutated and random
// UDP packets and 20,000 TCP streams (bench/fuzz-lib.mjs), then crashes, hangs,
// replies by rcode, and the server's RSS before and after.
//
//   node bench/fuzz.mjs [--packets 1000000] [--tcp 20000] [--seed 1] [--json FILE]
//
// A crash or a hang makes the exit status 1; the seed replays the same packets.

import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fuzz } from './fuzz-lib.mjs';
import { ROOT, freePort, parseArgs, processMemory, startFlipdns } from './lib.mjs';

const args = parseArgs(process.argv.slice(2), { packets: 1_000_000, tcp: 20_000, seed: 1, json: '' });
const dir = mkdtempSync(join(tmpdir(), 'flipdns-fuzz-'));
const logFile = join(dir, 'flipdns.log');
const port = await freePort();
const server = await startFlipdns({ zonesDir: join(ROOT, 'zones'), zone: 'example.test', port, httpPort: await freePort(), logFile });
const alive = () => {
  try {
    process.kill(server.pid, 0);
    return true;
  } catch {
    return false;
  }
};
const mib = () => Math.round(processMemory(server.pid).rssBytes / 2 ** 20);
const rssBefore = mib();
const started = performance.now();
const stats = await fuzz({
  port,
  packets: Number(args.packets),
  tcpStreams: Number(args.tcp),
  seed: Number(args.seed),
  alive,
  slice: 50_000,
  onProgress: (s) => process.stderr.write(`${s.udpSent} packets, ${s.tcpStreams} TCP streams, ${s.udpReplies} replies, hangs ${s.hangs}\n`),
});
const seconds = (performance.now() - started) / 1000;
const rssAfter = alive() ? mib() : undefined;
const errors = readFileSync(logFile, 'utf8').split('\n').filter((line) => line.includes('"level":50') || line.includes('"level":60')).length;
await server.stop();
const report = { ...stats, seconds: Math.round(seconds), packetsPerSecond: Math.round(stats.udpSent / seconds), rssBeforeMiB: rssBefore, rssAfterMiB: rssAfter, errorLogLines: errors, seed: Number(args.seed) };
console.log(JSON.stringify(report, null, 2));
if (args.json) writeFileSync(args.json, JSON.stringify(report, null, 2) + '\n');
process.exit(stats.crashed || stats.hangs > 0 ? 1 : 0);
