// Scoped credentials (issue 9): the admin token changes things, the read token
// reads the GET endpoints and nothing more, a node's token beats for that node
// only. Each refused where it must be, with its status, nothing changed, and
// counted; refused authentications are limited per address (429) and logged
// at most once an interval. Served in process over a real socket (the API
// harness of test/api).

import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sameSecret } from '../../src/api/auth.js';
import { ADMIN_TOKEN, type Harness, startHarness } from '../api/harness.js';
import { waitFor } from '../helpers/wait.js';

const READ_TOKEN = 'read-token-0123456789abc';
const WEB1_TOKEN = 'web1-token-abcdefghijkl';
const WEB2_TOKEN = 'web2-token-abcdefghijkl';

/** Every GET endpoint of the API served by the harness (the staleness ones come with the ledger plugin). */
const READS = ['/api/v1/status', '/api/v1/records', '/api/v1/pools', '/api/v1/pools/app.example.test/A', '/api/v1/nodes'];

/** Every endpoint that changes something, with a body it would take. */
const CHANGES: Array<[string, string, unknown?]> = [
  ['POST', '/api/v1/zones/reload'],
  ['PUT', '/api/v1/records/txt.example.test/TXT', { values: ['"v=1"'] }],
  ['DELETE', '/api/v1/records/txt.example.test/TXT'],
  ['PUT', '/api/v1/pools/app.example.test/A', { policy: 'failover', members: [{ id: 'web1', node: 'web1', value: '192.0.2.21', priority: 0 }] }],
  ['DELETE', '/api/v1/pools/app.example.test/A'],
  ['POST', '/api/v1/pools/app.example.test/A/failback'],
  ['PUT', '/api/v1/nodes/web3', { token: 'web3-token-abcdefghijkl' }],
  ['PATCH', '/api/v1/nodes/web1', { fall: 5 }],
  ['DELETE', '/api/v1/nodes/web2'],
  ['PUT', '/api/v1/nodes/web1/check', { url: 'tcp://127.0.0.1:9' }],
  ['DELETE', '/api/v1/nodes/web1/check'],
  ['POST', '/api/v1/nodes/web1/admin', { state: 'drain', reason: 'test' }],
];

describe('scoped credentials', () => {
  let api: Harness;
  beforeEach(async () => {
    // No limit on refused authentications here: this block refuses dozens on purpose.
    api = await startHarness({ api: { readToken: READ_TOKEN, authFailuresPerSecond: 0 } });
    expect((await api.call('PUT', '/api/v1/nodes/web1', { body: { token: WEB1_TOKEN } })).status).toBe(201);
    expect((await api.call('PUT', '/api/v1/nodes/web2', { body: { token: WEB2_TOKEN } })).status).toBe(201);
  });
  afterEach(() => api.close());

  const state = async () => {
    const { nodes, generation } = await api.store.snapshot();
    return { nodes, generation, records: (await api.call('GET', '/api/v1/records')).body, pools: (await api.call('GET', '/api/v1/pools')).body };
  };

  it('the admin token reads and changes', async () => {
    for (const path of READS) expect([200, 404], path).toContain((await api.call('GET', path)).status);
    expect((await api.call('GET', '/api/v1/status')).status).toBe(200);
    expect((await api.call('PUT', '/api/v1/nodes/web3', { body: { token: 'web3-token-abcdefghijkl' } })).status).toBe(201);
    expect(api.refused).toEqual([]);
  });

  it('the read token reads every GET endpoint, and gets 403 on every change, with nothing changed', async () => {
    for (const path of READS) expect([200, 404], path).toContain((await api.call('GET', path, { token: READ_TOKEN })).status);
    expect((await api.call('GET', '/api/v1/status', { token: READ_TOKEN })).body.nodes).toHaveLength(2);
    const before = await state();
    for (const [method, path, body] of CHANGES) {
      const answer = await api.call(method, path, { token: READ_TOKEN, body });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body.error).toMatch(/read token only reads/);
    }
    // Nor is it any node's token.
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: READ_TOKEN })).status).toBe(403);
    expect(await state()).toEqual(before);
    expect(api.refused.filter((reason) => reason === 'read-only')).toHaveLength(CHANGES.length);
    expect(api.changes).toEqual(['node-added', 'node-added']);
  });

  it("a node's token beats for its own node only, and opens no operator endpoint", async () => {
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: WEB1_TOKEN })).status).toBe(200);
    const before = await state();
    const other = await api.call('POST', '/api/v1/nodes/web2/heartbeat', { token: WEB1_TOKEN });
    expect(other).toMatchObject({ status: 403, body: { error: "this token is not web2's" } });
    expect((await api.call('POST', '/api/v1/nodes/web2/down', { token: WEB1_TOKEN, body: { reason: 'spoofed' } })).status).toBe(403);
    for (const path of READS) {
      const answer = await api.call('GET', path, { token: WEB1_TOKEN });
      expect(answer.status, path).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer');
    }
    for (const [method, path, body] of CHANGES) expect((await api.call(method, path, { token: WEB1_TOKEN, body })).status, `${method} ${path}`).toBe(401);
    expect(await state()).toEqual(before);
    expect(api.nodeReports).toEqual(['heartbeat/accepted', 'heartbeat/wrong-token', 'down/wrong-token']);
  });

  it('no token, or the admin token where a node token is due, is refused', async () => {
    expect((await api.call('GET', '/api/v1/status', { token: null })).status).toBe(401);
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: null })).status).toBe(401);
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: ADMIN_TOKEN })).status).toBe(403);
    expect(api.refused).toEqual(['no-token', 'no-token', 'wrong-token']);
  });

  it('answers an unknown node as a known node with a wrong token: node ids cannot be found out', async () => {
    for (const what of ['heartbeat', 'down']) {
      const known = await api.call('POST', `/api/v1/nodes/web1/${what}`, { token: 'guessed-token-0123456789' });
      const unknown = await api.call('POST', `/api/v1/nodes/nosuchnode/${what}`, { token: 'guessed-token-0123456789' });
      expect(known.status).toBe(403);
      expect(unknown.status).toBe(known.status);
      expect(unknown.body.error.replace('nosuchnode', 'ID')).toBe(known.body.error.replace('web1', 'ID'));
      expect([...unknown.headers.keys()].filter((name) => name !== 'date')).toEqual([...known.headers.keys()].filter((name) => name !== 'date'));
    }
    // The operator still learns which it was.
    expect(api.nodeReports).toEqual(['heartbeat/wrong-token', 'heartbeat/unknown-node', 'down/wrong-token', 'down/unknown-node']);
  });
});

describe('constant-time comparison of tokens', () => {
  const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

  it('sameSecret takes the right token only, and any length without throwing', () => {
    expect(sameSecret(ADMIN_TOKEN, ADMIN_TOKEN)).toBe(true);
    expect(sameSecret(ADMIN_TOKEN.slice(0, -1) + 'x', ADMIN_TOKEN)).toBe(false);
    expect(sameSecret('short', ADMIN_TOKEN)).toBe(false);
    expect(sameSecret(ADMIN_TOKEN + ADMIN_TOKEN, ADMIN_TOKEN)).toBe(false);
    expect(sameSecret('', ADMIN_TOKEN)).toBe(false);
  });

  it('is what the API compares bearer tokens with: no token is compared with === or !==', () => {
    const api = join(SRC, 'api');
    const offending: string[] = [];
    for (const file of readdirSync(api).filter((name) => name.endsWith('.ts'))) {
      const text = readFileSync(join(api, file), 'utf8');
      for (const [i, line] of text.split('\n').entries()) {
        if (/(bearer|[tT]oken)\b[^;]*[!=]==|[!=]==\s*[\w.]*(bearer|[tT]oken)\b/.test(line) && !/=== undefined|!== undefined|typeof /.test(line)) offending.push(`src/api/${file}:${i + 1}: ${line.trim()}`);
      }
    }
    expect(offending).toEqual([]);
    // The operator tokens through sameSecret, a node's token hash through timingSafeEqual.
    expect(readFileSync(join(api, 'routes.ts'), 'utf8')).toMatch(/sameSecret\(bearer, options\.adminToken\)[\s\S]*sameSecret\(bearer, options\.readToken\)/);
    expect(readFileSync(join(api, 'auth.ts'), 'utf8')).toMatch(/timingSafeEqual\(digest\(given\), digest\(expected\)\)/);
    expect(readFileSync(join(api, 'node-report-routes.ts'), 'utf8')).toMatch(/timingSafeEqual/);
  });
});

describe('refused authentications, limited per address', () => {
  let api: Harness;
  afterEach(() => api.close());

  it('answers 429 after the burst, even to the right token, counts it, and lets the address in again once the bucket refills', async () => {
    api = await startHarness({ api: { authFailuresPerSecond: 5 } });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await api.call('GET', '/api/v1/status', { token: `wrong-token-${i}-0123456789` })).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(5)).toEqual([429, 429, 429]);
    const blocked = await api.call('GET', '/api/v1/status');
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(blocked.body.error).toMatch(/too many refused authentications/);
    // Node reports are limited alike: guessing node tokens gets nowhere either.
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: WEB1_TOKEN })).status).toBe(429);
    expect(api.refused.filter((reason) => reason === 'wrong-token')).toHaveLength(5);
    expect(api.refused.filter((reason) => reason === 'rate-limited')).toHaveLength(5);
    // 5 a second: the right token gets through again within about 200 ms.
    await waitFor(async () => (await api.call('GET', '/api/v1/status')).status === 200, 'the right token to be taken again', 5000, 50);
  });

  it('does not count the right token, nor the read token used for a change, against the address', async () => {
    api = await startHarness({ api: { authFailuresPerSecond: 2, readToken: READ_TOKEN } });
    for (let i = 0; i < 10; i++) expect((await api.call('GET', '/api/v1/status')).status).toBe(200);
    for (let i = 0; i < 5; i++) expect((await api.call('PUT', '/api/v1/nodes/web9', { token: READ_TOKEN, body: {} })).status).toBe(403);
    expect((await api.call('GET', '/api/v1/status', { token: READ_TOKEN })).status).toBe(200);
  });

  it('logs a flood of wrong tokens in a line or two, while the metrics count every one', async () => {
    api = await startHarness({ api: { authFailuresPerSecond: 0, logEveryMs: 500 } });
    await api.call('PUT', '/api/v1/nodes/web1', { body: { token: WEB1_TOKEN } });
    const wrong = 200;
    await Promise.all(Array.from({ length: wrong }, () => api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: WEB2_TOKEN })));
    await Promise.all(Array.from({ length: wrong }, () => api.call('GET', '/api/v1/status', { token: WEB2_TOKEN })));
    expect(api.refused.filter((reason) => reason === 'wrong-token')).toHaveLength(2 * wrong);
    expect(api.nodeReports.filter((report) => report === 'heartbeat/wrong-token')).toHaveLength(wrong);
    // What was left out is said at the end of the interval, in one line per kind, with how many.
    const summarised = () => api.logs.filter((line) => line.reason === 'wrong-token' && typeof line.suppressed === 'number').reduce((sum, line) => sum + (line.suppressed as number), 0);
    await waitFor(() => summarised() + api.logs.filter((line) => line.reason === 'wrong-token' && line.suppressed === undefined).length === 2 * wrong, 'every refusal logged or summed up');
    const lines = api.logs.filter((line) => line.reason === 'wrong-token');
    // One line of each kind (a heartbeat, an operator request) and its summary; a slow run may open a second interval.
    expect(lines.length).toBeGreaterThanOrEqual(2);
    expect(lines.length).toBeLessThanOrEqual(8);
    expect(lines.every((line) => line.err === undefined && line.stack === undefined)).toBe(true);
  });
});
