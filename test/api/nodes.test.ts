import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

describe('node endpoints', () => {
  let api: Harness;
  beforeEach(async () => {
    api = await startHarness();
  });
  afterEach(() => api.close());

  it('adds a node with a random token, returned once and stored only as its SHA-256', async () => {
    const added = await api.call('PUT', '/api/v1/nodes/web1', { body: { intervalMs: 2000, fall: 4, rise: 3 }, headers: { 'x-flipdns-actor': 'alice@ops' } });
    expect(added.status).toBe(201);
    expect(added.body.node).toMatchObject({ id: 'web1', intervalMs: 2000, fall: 4, rise: 3, health: 'unknown', admin: 'none' });
    expect(added.body.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const [stored] = (await api.store.snapshot()).nodes;
    expect(stored.spec.tokenHash).toBe(sha256(added.body.token));
    expect(JSON.stringify(await api.call('GET', '/api/v1/nodes'))).not.toContain(added.body.token);
    expect(api.logs).toContainEqual(expect.objectContaining({ actor: 'alice@ops', change: 'node-added', node: 'web1' }));
    expect(api.changes).toEqual(['node-added']);
  });

  it('applies defaults and keeps an existing token when a node is changed without one', async () => {
    const { body: first } = await api.call('PUT', '/api/v1/nodes/web1', { body: {} });
    expect(first.node).toMatchObject({ intervalMs: 1000, fall: 3, rise: 2 });
    const changed = await api.call('PUT', '/api/v1/nodes/web1', { body: { intervalMs: 500 } });
    expect(changed.status).toBe(200);
    expect(changed.body).not.toHaveProperty('token');
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: first.token })).status).toBe(200);
  });

  it('replaces the token when one is given', async () => {
    const { body: first } = await api.call('PUT', '/api/v1/nodes/web1', { body: {} });
    await api.call('PUT', '/api/v1/nodes/web1', { body: { token: 'a-new-token-for-web1' } });
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: first.token })).status).toBe(403);
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: 'a-new-token-for-web1' })).status).toBe(200);
  });

  it('rejects bad node bodies and ids with 400', async () => {
    for (const body of [{ intervalMs: 5 }, { fall: 0 }, { rise: 'two' }, { token: 'short' }, { colour: 'blue' }, []]) {
      const answer = await api.call('PUT', '/api/v1/nodes/web1', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toEqual(expect.any(String));
    }
    expect((await api.call('PUT', '/api/v1/nodes/-bad', { body: {} })).status).toBe(400);
    expect((await api.store.snapshot()).nodes).toEqual([]);
  });

  it('lists nodes with their status', async () => {
    await api.call('PUT', '/api/v1/nodes/web1', { body: { token: 'web1-token-abcdefghijkl' } });
    await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: 'web1-token-abcdefghijkl' });
    const { status, body } = await api.call('GET', '/api/v1/nodes');
    expect(status).toBe(200);
    expect(body.nodes).toEqual([expect.objectContaining({ id: 'web1', health: 'up', heartbeatAgeMs: expect.any(Number) })]);
  });

  it('drains, forces and releases a node, saying who and why', async () => {
    await api.call('PUT', '/api/v1/nodes/web1', { body: {} });
    const drained = await api.call('POST', '/api/v1/nodes/web1/admin', { body: { state: 'drain', reason: 'kernel upgrade' }, headers: { 'x-flipdns-actor': 'bob@laptop' } });
    expect(drained.status).toBe(200);
    expect(drained.body.node).toMatchObject({ admin: 'drain', adminReason: 'kernel upgrade', adminBy: 'bob@laptop' });
    expect(api.logs).toContainEqual(expect.objectContaining({ actor: 'bob@laptop', change: 'node-admin', node: 'web1', admin: 'drain', reason: 'kernel upgrade' }));

    const forced = await api.call('POST', '/api/v1/nodes/web1/admin', { body: { state: 'force-down', reason: 'flapping' } });
    expect(forced.body.node).toMatchObject({ admin: 'force-down', adminBy: 'api' });
    const released = await api.call('POST', '/api/v1/nodes/web1/admin', { body: { state: 'none' } });
    expect(released.body.node.admin).toBe('none');
    expect(api.changes.filter((kind) => kind === 'node-admin')).toHaveLength(3);
  });

  it('wants a known state and, except to release, a reason', async () => {
    await api.call('PUT', '/api/v1/nodes/web1', { body: {} });
    expect((await api.call('POST', '/api/v1/nodes/web1/admin', { body: { state: 'drain' } })).body.error).toBe('reason: required to set drain');
    expect((await api.call('POST', '/api/v1/nodes/web1/admin', { body: { state: 'sleep', reason: 'x' } })).status).toBe(400);
    expect((await api.call('POST', '/api/v1/nodes/ghost/admin', { body: { state: 'drain', reason: 'x' } })).status).toBe(404);
  });

  it('removes a node, and answers 404 for one it does not know', async () => {
    await api.call('PUT', '/api/v1/nodes/web1', { body: {} });
    expect(await api.call('DELETE', '/api/v1/nodes/web1')).toMatchObject({ status: 200, body: { removed: 'web1' } });
    expect((await api.call('DELETE', '/api/v1/nodes/web1')).status).toBe(404);
    expect(api.changes).toEqual(['node-added', 'node-removed']);
  });

  it('answers a heartbeat for an unknown node as one with a wrong token, so that node ids cannot be found out', async () => {
    await api.call('PUT', '/api/v1/nodes/web1', { body: { token: 'web1-token-abcdefghijkl' } });
    const unknown = await api.call('POST', '/api/v1/nodes/ghost/heartbeat', { token: 'some-token-1234567890' });
    const wrong = await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: 'some-token-1234567890' });
    expect(unknown).toMatchObject({ status: 403, body: { error: "this token is not ghost's" } });
    expect(wrong).toMatchObject({ status: 403, body: { error: "this token is not web1's" } });
    expect(unknown.headers.get('content-type')).toBe(wrong.headers.get('content-type'));
    // The operator still learns which it was, from the metrics and the log.
    expect(api.nodeReports).toEqual(['heartbeat/unknown-node', 'heartbeat/wrong-token']);
    expect(api.logs).toContainEqual(expect.objectContaining({ msg: 'heartbeat refused: no such node', node: 'ghost' }));
  });
});
