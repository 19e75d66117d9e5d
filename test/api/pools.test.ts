import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { setHeld, storeHeld, storePools } from '../../src/pools/documents.js';
import { type Harness, startHarness } from './harness.js';

const MEMBERS = [
  { id: 'a', node: 'web1', value: '192.0.2.1', priority: 0 },
  { id: 'b', node: 'web2', value: '192.0.2.2', priority: 1 },
];

describe('pool endpoints', () => {
  let api: Harness;
  beforeEach(async () => {
    api = await startHarness();
    for (const node of ['web1', 'web2']) expect((await api.call('PUT', `/api/v1/nodes/${node}`, { body: {} })).status).toBe(201);
  });
  afterEach(() => api.close());

  it('creates a pool through the validator and stores it', async () => {
    const created = await api.call('PUT', '/api/v1/pools/app.example.test/A', { body: { policy: 'failover', members: MEMBERS, failback: 'manual' } });
    expect(created.status).toBe(200);
    expect(created.body.pool).toMatchObject({ name: 'app.example.test.', type: 'A', policy: 'failover', failback: 'manual', ttl: 5 });
    expect(storePools(await api.store.snapshot())).toEqual([created.body.pool]);
    expect(api.logs).toContainEqual(expect.objectContaining({ change: 'pool-set', pool: 'app.example.test./A', actor: 'api' }));
  });

  it('rejects a pool the validator rejects', async () => {
    const answer = await api.call('PUT', '/api/v1/pools/app.example.test./A', { body: { policy: 'random', members: MEMBERS } });
    expect(answer).toMatchObject({ status: 400, body: { error: 'pool app.example.test.: policy: must be one of failover, multivalue, weighted' } });
    expect(storePools(await api.store.snapshot())).toEqual([]);
  });

  it('lists pools from files and from the store, and shows one with its definition', async () => {
    await api.call('PUT', '/api/v1/pools/app.example.test./A', { body: { policy: 'failover', members: MEMBERS } });
    const list = await api.call('GET', '/api/v1/pools');
    expect(list.body.pools.map((pool: { name: string; source: string }) => `${pool.name} ${pool.source}`)).toEqual(['app.example.test. store', 'file.example.test. file']);

    const shown = await api.call('GET', '/api/v1/pools/app.example.test./A');
    expect(shown.body.pool).toMatchObject({ name: 'app.example.test.', allDown: true, members: [expect.objectContaining({ id: 'a' }), expect.objectContaining({ id: 'b' })] });
    expect(shown.body.spec).toMatchObject({ policy: 'failover', members: expect.any(Array) });

    const filePool = await api.call('GET', '/api/v1/pools/file.example.test./a');
    expect(filePool.body.pool.source).toBe('file');
    expect(filePool.body).not.toHaveProperty('spec');
    expect((await api.call('GET', '/api/v1/pools/none.example.test./A')).status).toBe(404);
  });

  it('removes run-time pools only', async () => {
    await api.call('PUT', '/api/v1/pools/app.example.test./A', { body: { policy: 'failover', members: MEMBERS } });
    expect(await api.call('DELETE', '/api/v1/pools/app.example.test./A')).toMatchObject({ status: 200, body: { removed: 'app.example.test./A' } });
    const filePool = await api.call('DELETE', '/api/v1/pools/file.example.test./A');
    expect(filePool.status).toBe(404);
    expect(filePool.body.error).toMatch(/pools from pool files are changed in their files/);
  });

  it('fails back: releases the held members of the pool', async () => {
    await api.call('PUT', '/api/v1/pools/app.example.test./A', { body: { policy: 'failover', members: MEMBERS, failback: 'manual' } });
    await setHeld(api.store, 'app.example.test./A', ['a']);
    const answer = await api.call('POST', '/api/v1/pools/app.example.test./A/failback', { headers: { 'x-flipdns-reason': 'web1 repaired' } });
    expect(answer).toMatchObject({ status: 200, body: { pool: 'app.example.test./A', released: ['a'] } });
    expect(storeHeld(await api.store.snapshot())['app.example.test./A'] ?? []).toEqual([]);
    expect(api.logs).toContainEqual(expect.objectContaining({ change: 'pool-failback', released: ['a'], reason: 'web1 repaired' }));
    expect((await api.call('POST', '/api/v1/pools/none.example.test./A/failback')).status).toBe(404);
  });
});
