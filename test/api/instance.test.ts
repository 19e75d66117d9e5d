import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from './harness.js';

describe('status and reload', () => {
  let api: Harness;
  beforeEach(async () => {
    api = await startHarness();
  });
  afterEach(() => api.close());

  it('shows the status view', async () => {
    await api.call('PUT', '/api/v1/nodes/web1', { body: {} });
    const { status, body } = await api.call('GET', '/api/v1/status');
    expect(status).toBe(200);
    expect(body).toMatchObject({ instance: 'api-test', store: { kind: 'embedded', connected: true }, nodes: [expect.objectContaining({ id: 'web1' })], pools: expect.any(Array) });
    expect(body.generation).toBeGreaterThan(0);
  });

  it('reloads zones and logs who asked', async () => {
    const answer = await api.call('POST', '/api/v1/zones/reload', { headers: { 'x-flipdns-actor': 'deploy-bot' } });
    expect(answer).toMatchObject({ status: 200, body: { zones: 2, records: 14, pools: 3, errors: [], failedFiles: [] } });
    expect(api.logs).toContainEqual(expect.objectContaining({ actor: 'deploy-bot', change: 'zones-reload', zones: 2 }));
    expect(api.changes).toEqual(['zones-reload']);
  });
});
