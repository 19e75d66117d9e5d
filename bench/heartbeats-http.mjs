// Heartbeat intake of one flipdns instance over its admin HTTP API, the way
// agents send them: starts a redis-server and one `flipdns serve --store redis`
// on loopback, declares --nodes nodes in a pool file, then POSTs heartbeats
// (each with its node's own token) over keep-alive connections for --seconds,
// --in-flight at a time, and prints beats/s and the server's CPU seconds.
// The load generator shares the machine's 2 cores with the server and Redis.
//   npm run build && node bench/heartbeats-http.mjs [--seconds 10] [--nodes 1000] [--in-flight 64]

import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HOST, cpuSecondsBetween, freePort, parseArgs, startFlipdns, treeTicks } from './lib.mjs';

const options = parseArgs(process.argv.slice(2), { seconds: 10, nodes: 1000, inFlight: 64 });
const seconds = Number(options.seconds);
const nodeCount = Number(options.nodes);
const inFlight = Number(options.inFlight);

const dir = mkdtempSync(join(tmpdir(), 'flipdns-bench-beats-'));
const redisPort = await freePort();
const redis = spawn('redis-server', ['--bind', HOST, '--port', String(redisPort), '--dir', dir, '--appendonly', 'yes', '--save', '', '--logfile', 'redis.log'], { stdio: 'ignore' });
redis.once('error', (err) => {
  console.error(`cannot start redis-server: ${err.message}`);
  process.exit(1);
});

const token = (i) => `token-of-node-${i}`;
const zones = join(dir, 'zones');
const sha256 = (text) => createHash('sha256').update(text).digest('hex');
const nodes = Array.from({ length: nodeCount }, (_, i) => ({ id: `node-${i}`, intervalMs: 1000, fall: 3, rise: 2, tokenSha256: sha256(token(i)) }));
mkdirSync(zones);
writeFileSync(join(zones, 'bench.test.zone'), '$TTL 300\n@ SOA ns hostmaster 1 3600 600 86400 60\n@ NS ns\nns A 192.0.2.1\n');
writeFileSync(join(zones, 'bench.pools.json'), JSON.stringify({ nodes, pools: [] }));

const [port, httpPort] = [await freePort(), await freePort()];
const server = await startFlipdns({
  zonesDir: zones,
  zone: 'bench.test',
  port,
  httpPort,
  logFile: join(dir, 'flipdns.log'),
  extraArgs: ['--store', `redis://${HOST}:${redisPort}`, '--admin-token', 'bench-admin', '--log-level', 'warn'],
});
try {
  const agent = new Agent({ keepAlive: true, maxSockets: inFlight });
  const beat = (i) =>
    new Promise((resolve) => {
      const req = request({ host: HOST, port: httpPort, method: 'POST', path: `/api/v1/nodes/node-${i}/heartbeat`, agent, headers: { authorization: `Bearer ${token(i)}` } }, (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode));
      });
      req.once('error', () => resolve(0));
      req.end();
    });
  // Warm up: every node beats once (first beats also register them as up).
  for (let i = 0; i < nodeCount; i += inFlight) await Promise.all(Array.from({ length: Math.min(inFlight, nodeCount - i) }, (_, k) => beat(i + k)));

  let ok = 0;
  let failed = 0;
  const before = treeTicks(server.pid);
  const began = performance.now();
  const stopAt = began + seconds * 1000;
  const worker = async (start) => {
    for (let i = start; performance.now() < stopAt; i += inFlight) {
      if ((await beat(i % nodeCount)) === 200) ok++;
      else failed++;
    }
  };
  await Promise.all(Array.from({ length: inFlight }, (_, i) => worker(i)));
  const elapsed = (performance.now() - began) / 1000;
  const cpu = cpuSecondsBetween(before, treeTicks(server.pid));
  console.log(`${ok} heartbeats accepted over HTTP in ${elapsed.toFixed(2)} s (${nodeCount} nodes, ${inFlight} in flight): ${Math.round(ok / elapsed)} beats/s`);
  console.log(`flipdns CPU: ${cpu.toFixed(2)} s, ${Math.round(ok / cpu)} beats per server CPU-second${failed ? `; ${failed} failed` : ''}`);
  agent.destroy();
} finally {
  await server.stop();
  redis.kill('SIGTERM');
  await new Promise((resolve) => (redis.exitCode !== null ? resolve() : redis.once('exit', resolve)));
  rmSync(dir, { recursive: true, force: true });
}
