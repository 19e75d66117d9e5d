// A flip must reach every section of every precompiled answer built from the
// pool: answers, CNAME chains, and the addresses added to additional for NS,
// MX and SRV targets and for referrals.

import { documentsOf } from '../../src/health/store.js';
import dnsPacket from 'dns-packet';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { NodeRecord } from '../../src/health/model.js';
import { QueryStats, UDP } from '../../src/metrics/query-stats.js';
import { PoolOverlay } from '../../src/pools/overlay.js';
import { parsePoolSpec } from '../../src/pools/spec.js';
import { QueryHandler } from '../../src/server/handler.js';
import { zoneSetOf } from '../helpers/zones.js';

const ZONE = `$ORIGIN example.test.
$TTL 300
@          SOA   ns1 hostmaster 1 3600 600 86400 60
@          NS    ns1
ns1        A     192.0.2.1
www        A     192.0.2.10
mail       MX    10 mx1
mx1        A     192.0.2.20
_sip._tcp  SRV   0 5 5060 sip
sip        A     192.0.2.30
child      NS    ns1
alias      CNAME app
app        A     192.0.2.50
`;

const PRIMARY = '192.0.2.101';
const BACKUP = '192.0.2.102';

/** A failover pool at `name` over the nodes primary and backup. */
function pool(name: string) {
  return parsePoolSpec({
    name,
    type: 'A',
    policy: 'failover',
    members: [
      { id: 'p', node: 'primary', value: PRIMARY, priority: 0 },
      { id: 'b', node: 'backup', value: BACKUP, priority: 1 },
    ],
  });
}

function node(id: string, health: 'up' | 'down', generation: number): NodeRecord {
  return { spec: { id, intervalMs: 100, fall: 3, rise: 2, tokenHash: '0'.repeat(64) }, state: { health, streak: 0, admin: 'none', generation, changedAt: generation } };
}

type Section = 'answers' | 'authorities' | 'additionals';

function setup(poolNames: string[]) {
  const handler = new QueryHandler(zoneSetOf({ 'example.test.zone': ZONE }), { identity: { id: 't' }, ednsPayload: 1232, cacheEntries: 1000, queryLogSample: 0 }, new QueryStats());
  const overlay = new PoolOverlay(handler, pino({ level: 'silent' }));
  overlay.setStaticZones(handler.zoneSet);
  overlay.setFilePools(poolNames.map(pool));
  overlay.applySnapshot({ generation: 1, now: 0, nodes: [node('primary', 'up', 1), node('backup', 'up', 1)], documents: documentsOf() });
  /** The addresses of `owner` that a question puts in `section`. */
  const addressesIn = (section: Section, qname: string, qtype: dnsPacket.RecordType, owner: string): string[] => {
    const raw = handler.handle(dnsPacket.encode({ id: 1, type: 'query', questions: [{ name: qname, type: qtype }] }), UDP, 0)!;
    const records = (dnsPacket.decode(raw)[section] ?? []) as Array<{ name: string; type: string; data: unknown }>;
    return records.filter((r) => r.type === 'A' && r.name.toLowerCase() === owner).map((r) => String(r.data));
  };
  const failPrimary = () => overlay.applyEvent({ kind: 'node', generation: 2, record: node('primary', 'down', 2), decidedAt: 0 });
  return { addressesIn, failPrimary, handler };
}

describe('a pool flip reaches every section of the precompiled answers built from it', () => {
  const cases: Array<{ what: string; pool: string; section: Section; qname: string; qtype: dnsPacket.RecordType }> = [
    { what: 'the answer', pool: 'www.example.test', section: 'answers', qname: 'www.example.test', qtype: 'A' },
    { what: 'the answer at the end of a CNAME chain', pool: 'app.example.test', section: 'answers', qname: 'alias.example.test', qtype: 'A' },
    { what: 'additional, for an MX target', pool: 'mx1.example.test', section: 'additionals', qname: 'mail.example.test', qtype: 'MX' },
    { what: 'additional, for an SRV target', pool: 'sip.example.test', section: 'additionals', qname: '_sip._tcp.example.test', qtype: 'SRV' },
    { what: 'additional, for the apex NS target of a positive answer', pool: 'ns1.example.test', section: 'additionals', qname: 'www.example.test', qtype: 'A' },
    { what: 'additional, for the NS target of an NS answer', pool: 'ns1.example.test', section: 'additionals', qname: 'example.test', qtype: 'NS' },
    { what: 'additional, for the NS target of a referral', pool: 'ns1.example.test', section: 'additionals', qname: 'host.child.example.test', qtype: 'A' },
  ];

  for (const { what, pool: poolName, section, qname, qtype } of cases) {
    it(`in ${what}`, () => {
      const { addressesIn, failPrimary } = setup([poolName]);
      expect(addressesIn(section, qname, qtype, poolName)).toEqual([PRIMARY]);
      // Asked twice: the second answer comes from the precompiled response.
      expect(addressesIn(section, qname, qtype, poolName)).toEqual([PRIMARY]);
      failPrimary();
      expect(addressesIn(section, qname, qtype, poolName)).toEqual([BACKUP]);
    });
  }

  it('drops an answer built from several pools when any one of them flips, and only such answers', () => {
    const { addressesIn, failPrimary, handler } = setup(['mx1.example.test', 'ns1.example.test']);
    addressesIn('additionals', 'mail.example.test', 'MX', 'mx1.example.test');
    addressesIn('answers', 'sip.example.test', 'A', 'sip.example.test');
    expect(handler.cache.size).toBe(2);
    failPrimary();
    // The MX answer carried both pools; the static sip answer carried the NS pool in additional.
    expect(handler.cache.size).toBe(0);
    expect(addressesIn('additionals', 'mail.example.test', 'MX', 'mx1.example.test')).toEqual([BACKUP]);
    expect(addressesIn('additionals', 'mail.example.test', 'MX', 'ns1.example.test')).toEqual([BACKUP]);
  });
});
