// Gauges read at scrape time are current at the scrape that reads them: the
// first scrape has them, and a change shows at the next scrape, not one later.

import { register } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerHealthMetrics } from '../../src/metrics/health-metrics.js';

describe('health metrics', () => {
  it('reads node health and heartbeat age in the scrape that shows them', async () => {
    let age = 12;
    let reads = 0;
    registerHealthMetrics({
      members: () => [{ name: 'app.example.test.', type: 'A', member: 'web1', available: true, hasNode: false }],
      nodes: async () => (reads++, [{ node: 'web1', health: 1, heartbeatAgeSeconds: age }]),
      leading: () => true,
      verdicts: () => [{ node: 'web1', instance: 'dns-a', failing: true }],
      conflicts: () => ['web1'],
    });
    const first = await register.metrics();
    expect(first).toMatch(/^flipdns_node_heartbeat_age_seconds\{node="web1"\} 12$/m);
    expect(first).toMatch(/^flipdns_node_health\{node="web1"\} 1$/m);
    expect(first).toMatch(/^flipdns_pool_member_available\{name="app\.example\.test\.",type="A",member="web1"\} 1$/m);
    expect(first).toMatch(/^flipdns_pool_members_without_node\{name="app\.example\.test\.",type="A"\} 1$/m);
    expect(first).toMatch(/^flipdns_node_check_failing\{node="web1",instance="dns-a"\} 1$/m);
    expect(first).toMatch(/^flipdns_node_definition_conflict\{node="web1"\} 1$/m);
    expect(first).toMatch(/^flipdns_decider_leader 1$/m);
    // Both node gauges of one scrape share one reading of the store.
    expect(reads).toBe(1);

    age = 13.5;
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await register.metrics()).toMatch(/^flipdns_node_heartbeat_age_seconds\{node="web1"\} 13\.5$/m);
  });
});
