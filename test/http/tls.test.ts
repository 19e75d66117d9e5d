// HTTPS on the HTTP listeners (issue 9), with a self-signed certificate made
// by `openssl req` in a temp folder: the CLI and the agent talk to it when
// given the certificate as their CA (FLIPDNS_CA_FILE or --ca-file), refuse it
// otherwise, and plain HTTP to the TLS port gets nothing. A real server.

import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { waitFor } from '../helpers/wait.js';
import { RULES_FILES, zoneDir } from '../helpers/zones.js';
import { runCli } from '../cli/run-cli.js';
import { rawConnect } from './raw.js';

const ADMIN_TOKEN = 'tls-admin-token-0123456789';
const WEB1_TOKEN = 'web1-token-abcdefghijkl';
const HEADERS_TIMEOUT_MS = 1000;

function makeCertificate(): { dir: string; cert: string; key: string } {
  const dir = mkdtempSync(join(tmpdir(), 'flipdns-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '2', '-subj', '/CN=flipdns-test', '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost'],
    { encoding: 'utf8' },
  );
  if (made.status !== 0) throw new Error(`openssl req failed: ${made.stderr}`);
  return { dir, cert, key };
}

/** GET over HTTPS trusting `ca`: the status and the body. */
function getHttpsAnswer(port: number, path: string, ca: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, ca, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

const getHttps = async (port: number, path: string, ca: Buffer): Promise<number> => (await getHttpsAnswer(port, path, ca)).status;
const getHttpsText = async (port: number, path: string, ca: Buffer): Promise<string> => (await getHttpsAnswer(port, path, ca)).text;

describe('HTTPS listeners', () => {
  let tls: ReturnType<typeof makeCertificate>;
  let server: FlipdnsHandle;
  let url: string;
  const agents: ChildProcess[] = [];
  beforeAll(async () => {
    tls = makeCertificate();
    server = await startFlipdns(zoneDir(RULES_FILES), [
      '--admin-token', ADMIN_TOKEN,
      '--http-tls-cert', tls.cert,
      '--http-tls-key', tls.key,
      '--http-headers-timeout', String(HEADERS_TIMEOUT_MS),
      '--http-request-timeout', String(2 * HEADERS_TIMEOUT_MS),
    ]);
    url = `https://127.0.0.1:${server.httpPort}`;
  });
  afterAll(async () => {
    for (const agent of agents) if (agent.exitCode === null) agent.kill('SIGTERM');
    await server?.stop();
  });

  it('serves the CLI over HTTPS with the CA from FLIPDNS_CA_FILE or --ca-file', async () => {
    const viaEnv = await runCli(['status', '--server', url, '--json'], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN, FLIPDNS_CA_FILE: tls.cert });
    expect(viaEnv.stderr).toBe('');
    expect(viaEnv.code).toBe(0);
    expect(JSON.parse(viaEnv.stdout)).toMatchObject({ instance: 'test-instance' });
    const added = await runCli(['node', 'add', 'web1', '--node-token', WEB1_TOKEN, '--server', url, '--ca-file', tls.cert], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(added.code).toBe(0);
    const beat = await runCli(['heartbeat', 'web1', '--token', WEB1_TOKEN, '--server', url, '--ca-file', tls.cert]);
    expect(beat).toMatchObject({ code: 0, stdout: expect.stringMatching(/^web1: heartbeat taken/) });
    expect(await getHttps(server.httpPort, '/healthz', readFileSync(tls.cert))).toBe(200);
    expect(await getHttps(server.httpPort, '/metrics', readFileSync(tls.cert))).toBe(200);
  });

  it('refuses a server whose certificate the client cannot verify, saying how to trust it', async () => {
    const untrusted = await runCli(['status', '--server', url], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(untrusted.code).toBe(3);
    expect(untrusted.stderr).toMatch(/not signed by a CA this client trusts .*FLIPDNS_CA_FILE/);
    const missing = await runCli(['status', '--server', url, '--ca-file', join(tls.dir, 'nothing.pem')], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the CA file/);
  });

  it('gives nothing to plain HTTP on the TLS port', async () => {
    await expect(fetch(`http://127.0.0.1:${server.httpPort}/healthz`, { signal: AbortSignal.timeout(5000) })).rejects.toThrow();
    const plain = await runCli(['status', '--server', `http://127.0.0.1:${server.httpPort}`], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN });
    expect(plain.code).toBe(3);
    // Counted as requests that were not HTTPS this server could take.
    const metrics = await getHttpsText(server.httpPort, '/metrics', readFileSync(tls.cert));
    expect(Number(/^flipdns_http_requests_refused_total\{reason="bad-request"\} (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
  });

  it('closes a connection that never starts its TLS handshake, within the headers timeout', async () => {
    const silent = await rawConnect(server.httpPort);
    const elapsed = await silent.closed;
    expect(elapsed).toBeLessThan(HEADERS_TIMEOUT_MS + 4000);
    expect(silent.received()).toBe('');
  });

  it('carries an agent\'s heartbeats over HTTPS', async () => {
    await runCli(['node', 'add', 'web2', '--node-token', 'web2-token-abcdefghijkl', '--interval', '200', '--server', url], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN, FLIPDNS_CA_FILE: tls.cert });
    const agent = spawn(process.execPath, [BIN, 'agent', '--node', 'web2', '--token', 'web2-token-abcdefghijkl', '--server', url, '--ca-file', tls.cert], { cwd: REPO, stdio: 'ignore' });
    agents.push(agent);
    await waitFor(async () => {
      const status = await runCli(['node', 'list', '--server', url, '--json'], { FLIPDNS_ADMIN_TOKEN: ADMIN_TOKEN, FLIPDNS_CA_FILE: tls.cert });
      return (JSON.parse(status.stdout) as { nodes: Array<{ id: string; health: string }> }).nodes.some((node) => node.id === 'web2' && node.health === 'up');
    }, 'web2 to be up on its agent\'s heartbeats', 15_000, 200);
    agent.kill('SIGTERM');
  });
});

describe('TLS settings', () => {
  it('refuses a certificate without its key at start, with exit 2', async () => {
    const tls = makeCertificate();
    const started = await runCli(['serve', '--zones', zoneDir(RULES_FILES), '--http-tls-cert', tls.cert], {}, 10_000);
    expect(started.code).toBe(2);
    expect(started.stderr).toMatch(/httpTlsCert and httpTlsKey go together/);
    const swapped = await runCli(['serve', '--zones', zoneDir(RULES_FILES), '--http-tls-cert', tls.key, '--http-tls-key', tls.cert], {}, 10_000);
    expect(swapped.code).toBe(2);
    expect(swapped.stderr).toMatch(/not a PEM certificate and its key/);
  });
});
