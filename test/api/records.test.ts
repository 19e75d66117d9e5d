import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { storeRecords } from '../../src/pools/documents.js';
import { type Harness, startHarness } from './harness.js';

describe('record endpoints', () => {
  let api: Harness;
  beforeEach(async () => {
    api = await startHarness();
  });
  afterEach(() => api.close());

  it('sets, lists and removes a run-time record; the path names it', async () => {
    const set = await api.call('PUT', '/api/v1/records/www.example.test/a', {
      body: { name: 'ignored.example.', ttl: 60, values: ['192.0.2.7'] },
      headers: { 'x-flipdns-actor': 'carol@ops', 'x-flipdns-reason': encodeURIComponent('move to the new rack ✓') },
    });
    expect(set).toMatchObject({ status: 200, body: { record: { name: 'www.example.test.', type: 'A', ttl: 60, values: ['192.0.2.7'] } } });
    expect(api.logs).toContainEqual(expect.objectContaining({ actor: 'carol@ops', change: 'record-set', record: 'www.example.test./A', reason: 'move to the new rack ✓' }));

    expect((await api.call('GET', '/api/v1/records')).body).toEqual({ records: [{ name: 'www.example.test.', type: 'A', ttl: 60, values: ['192.0.2.7'] }] });

    expect(await api.call('DELETE', '/api/v1/records/WWW.example.test./A')).toMatchObject({ status: 200, body: { removed: 'www.example.test./A' } });
    expect(storeRecords(await api.store.snapshot())).toEqual([]);
    expect(api.changes).toEqual(['record-set', 'record-removed']);
  });

  it("answers 400 with the validator's message for a bad record", async () => {
    const answer = await api.call('PUT', '/api/v1/records/www.example.test./A', { body: { values: ['not-an-address'] } });
    expect(answer).toMatchObject({ status: 400, body: { error: 'record www.example.test. A: "not-an-address": A address: "not-an-address" is not an IPv4 address' } });
    expect((await api.call('PUT', '/api/v1/records/www.example.test./A', { body: ['192.0.2.1'] })).body.error).toBe('body: must be an object');
    expect((await api.call('PUT', '/api/v1/records/www.example.test./1A', { body: { values: ['x'] } })).status).toBe(400);
    expect(api.changes).toEqual([]);
  });

  it('answers 404 when removing a record it does not hold', async () => {
    const answer = await api.call('DELETE', '/api/v1/records/nothing.example.test./TXT');
    expect(answer.status).toBe(404);
    expect(answer.body.error).toMatch(/^no run-time record nothing\.example\.test\.\/TXT/);
  });
});
