// Failures every endpoint shares: bad requests, unknown paths, and a store that
// cannot be reached.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EmbeddedStore } from '../../src/health/embedded-store.js';
import { StoreUnavailableError } from '../../src/health/store.js';
import { type Harness, startHarness } from './harness.js';

/** An embedded store cut off: every call rejects, as RedisStore does while Redis is down. */
function unreachableStore(): EmbeddedStore {
  const store = new EmbeddedStore();
  return new Proxy(store, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      if (typeof value !== 'function' || property === 'connected' || property === 'onEvent' || property === 'onConnectivity') return value;
      return () => Promise.reject(new StoreUnavailableError());
    },
  });
}

describe('admin API errors', () => {
  let api: Harness;
  beforeAll(async () => {
    api = await startHarness();
  });
  afterAll(() => api.close());

  it('answers 404 to an unknown endpoint and 405 to a wrong method', async () => {
    expect(await api.call('GET', '/api/v1/nothing')).toMatchObject({ status: 404, body: { error: expect.stringMatching(/^no endpoint GET \/api\/v1\/nothing/) } });
    expect((await api.call('GET', '/api/v2/status')).status).toBe(404);
    const wrongMethod = await api.call('POST', '/api/v1/nodes/web1');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toBe('PUT, PATCH, DELETE');
  });

  it('answers 400 to a body that is not JSON, or bad percent-encoding', async () => {
    const answer = await api.call('PUT', '/api/v1/nodes/web1', { rawBody: '{"fall": ' });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toMatch(/^body is not JSON/);
    expect((await api.call('GET', '/api/v1/pools/%E0%A4%A/A')).status).toBe(400);
  });

  it('answers 413 to a body too large', async () => {
    expect((await api.call('PUT', '/api/v1/nodes/web1', { rawBody: JSON.stringify({ pad: 'x'.repeat(70_000) }) })).status).toBe(413);
  });

  it('leaves /metrics and /healthz to the HTTP server', async () => {
    expect((await fetch(`${api.url}/healthz`)).status).toBe(200);
  });
});

describe('admin API with the store unreachable', () => {
  let api: Harness;
  beforeAll(async () => {
    api = await startHarness({ store: unreachableStore() });
  });
  afterAll(() => api.close());

  it('answers 503 with one line, on reads, changes and heartbeats', async () => {
    const requests: Array<[string, string, { body?: unknown; token?: string }]> = [
      ['GET', '/api/v1/records', {}],
      ['PUT', '/api/v1/nodes/web1', { body: {} }],
      ['PUT', '/api/v1/pools/app.example.test./A', { body: { policy: 'failover', members: [{ id: 'a', node: 'n', value: '192.0.2.1' }] } }],
      ['POST', '/api/v1/nodes/web1/heartbeat', { token: 'web1-token-abcdefghijkl' }],
    ];
    for (const [method, path, options] of requests) {
      expect(await api.call(method, path, options), `${method} ${path}`).toMatchObject({ status: 503, body: { error: 'the health store is unreachable' } });
    }
    expect(api.changes).toEqual([]);
  });
});
