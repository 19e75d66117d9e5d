// Who may do what: operators with the admin token, each node for itself only.

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

const WEB1_TOKEN = 'web1-token-abcdefghijkl';
const WEB2_TOKEN = 'web2-token-abcdefghijkl';

describe('admin API authentication', () => {
  let api: Harness;
  beforeEach(async () => {
    api = await startHarness();
    expect((await api.call('PUT', '/api/v1/nodes/web1', { body: { token: WEB1_TOKEN } })).status).toBe(201);
    expect((await api.call('PUT', '/api/v1/nodes/web2', { body: { token: WEB2_TOKEN } })).status).toBe(201);
  });
  afterEach(() => api.close());

  it('answers 401 without a token', async () => {
    const answer = await api.call('GET', '/api/v1/status', { token: null });
    expect(answer.status).toBe(401);
    expect(answer.body).toEqual({ error: expect.stringMatching(/missing Authorization/) });
    expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  });

  it('answers 401 to a wrong admin token, and to a node token on an operator endpoint', async () => {
    for (const token of ['not-the-admin-token', WEB1_TOKEN]) {
      const answer = await api.call('PUT', '/api/v1/nodes/web3', { token, body: {} });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toBe('wrong admin token');
    }
    expect((await api.store.snapshot()).nodes.map((node) => node.spec.id)).toEqual(['web1', 'web2']);
  });

  it('refuses every operator endpoint when the server has no admin token', async () => {
    const open = await startHarness({ adminToken: '' });
    try {
      const answer = await open.call('GET', '/api/v1/status', { token: 'anything-at-all' });
      expect(answer.status).toBe(401);
      expect(answer.body.error).toMatch(/no admin token configured/);
    } finally {
      await open.close();
    }
  });

  it("answers 403 to a node's token used for another node, and changes nothing", async () => {
    const before = await api.store.snapshot();
    const answer = await api.call('POST', '/api/v1/nodes/web2/heartbeat', { token: WEB1_TOKEN });
    expect(answer.status).toBe(403);
    expect(answer.body.error).toBe("this token is not web2's");
    const after = await api.store.snapshot();
    expect(after.generation).toBe(before.generation);
    expect(after.nodes).toEqual(before.nodes);
    expect(api.logs.some((line) => line.msg === 'heartbeat refused: wrong token for this node' && line.node === 'web2')).toBe(true);
    expect(api.nodeReports).toEqual(['heartbeat/wrong-token']);
  });

  it('does not take the admin token as a node token', async () => {
    expect((await api.call('POST', '/api/v1/nodes/web1/heartbeat')).status).toBe(403);
  });

  it("takes a node's own token for its heartbeat", async () => {
    const answer = await api.call('POST', '/api/v1/nodes/web1/heartbeat', { token: WEB1_TOKEN });
    expect(answer.status).toBe(200);
    expect(answer.body.node).toMatchObject({ id: 'web1', health: 'up' });
    expect(answer.body.node).not.toHaveProperty('tokenHash');
  });

  it("takes a node down on its own down report, with its token only, saying why", async () => {
    const refused = await api.call('POST', '/api/v1/nodes/web1/down', { token: WEB2_TOKEN, body: { reason: 'check failed' } });
    expect(refused.status).toBe(403);
    expect(api.logs.some((line) => line.msg === 'down report refused: wrong token for this node' && line.node === 'web1')).toBe(true);
    expect((await api.call('POST', '/api/v1/nodes/web1/down', { token: WEB1_TOKEN, body: { reason: 42 } })).status).toBe(400);

    const answer = await api.call('POST', '/api/v1/nodes/web1/down', { token: WEB1_TOKEN, body: { reason: 'tcp 127.0.0.1:80: ECONNREFUSED' } });
    expect(answer.status).toBe(200);
    expect(answer.body.node).toMatchObject({ id: 'web1', health: 'down', downReason: 'tcp 127.0.0.1:80: ECONNREFUSED' });
    const status = await api.call('GET', '/api/v1/status');
    expect(status.body.nodes.find((node: { id: string }) => node.id === 'web1')).toMatchObject({ health: 'down', downReason: 'tcp 127.0.0.1:80: ECONNREFUSED' });
    const unnamed = await api.call('POST', '/api/v1/nodes/web2/down', { token: WEB2_TOKEN });
    expect(unnamed.body.node).toMatchObject({ health: 'down', downReason: 'reported down by its agent' });
  });
});
