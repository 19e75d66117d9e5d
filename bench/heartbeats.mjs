// Heartbeat intake of one RedisStore: starts its own redis-server on a free
// loopback port, adds 1,000 nodes, then sends heartbeats through
// RedisStore.heartbeat from one process for 10 s, many in flight at once, and
// prints beats/s. Run after `npm run build`:
//   node bench/heartbeats.mjs [--seconds 10] [--nodes 1000] [--in-flight 256]

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, HOST, ROOT } from './lib.mjs';

const { RedisStore } = await import(join(ROOT, 'dist/health/redis-store.js'));

const { values } = parseArgs({
  options: {
    seconds: { type: 'string', default: '10' },
    nodes: { type: 'string', default: '1000' },
    'in-flight': { type: 'string', default: '256' },
  },
});
const seconds = Number(values.seconds);
const nodeCount = Number(values.nodes);
const inFlight = Number(values['in-flight']);

const port = await freePort();
const dir = mkdtempSync(join(tmpdir(), 'flipdns-bench-redis-'));
const redis = spawn('redis-server', ['--bind', HOST, '--port', String(port), '--dir', dir, '--appendonly', 'yes', '--save', '', '--logfile', 'redis.log'], {
  stdio: 'ignore',
});
redis.once('error', (err) => {
  console.error(`cannot start redis-server: ${err.message}`);
  process.exit(1);
});

const store = new RedisStore({ url: `redis://${HOST}:${port}`, connectTimeoutMs: 15_000 });
try {
  await store.start();
  const hash = (id) => createHash('sha256').update(`token-${id}`).digest('hex');
  const ids = Array.from({ length: nodeCount }, (_, i) => `node-${i}`);
  const hashes = new Map(ids.map((id) => [id, hash(id)]));
  for (const id of ids) await store.putNode({ id, intervalMs: 1000, fall: 3, rise: 2, tokenHash: hashes.get(id) });

  let beats = 0;
  let refused = 0;
  const stopAt = performance.now() + seconds * 1000;
  // Each worker keeps one heartbeat in flight, walking the nodes in turn.
  const worker = async (start) => {
    for (let i = start; performance.now() < stopAt; i += inFlight) {
      const id = ids[i % nodeCount];
      const result = await store.heartbeat(id, hashes.get(id));
      if (result.status === 'ok') beats++;
      else refused++;
    }
  };
  const began = performance.now();
  await Promise.all(Array.from({ length: inFlight }, (_, i) => worker(i)));
  const elapsed = (performance.now() - began) / 1000;

  const perSecond = Math.round(beats / elapsed);
  console.log(`${beats} heartbeats in ${elapsed.toFixed(2)} s from one process (${nodeCount} nodes, ${inFlight} in flight): ${perSecond} beats/s`);
  if (refused > 0) console.log(`(${refused} refused: a bug)`);
} finally {
  await store.close();
  redis.kill('SIGTERM');
  await new Promise((resolve) => (redis.exitCode !== null ? resolve() : redis.once('exit', resolve)));
  rmSync(dir, { recursive: true, force: true });
}
