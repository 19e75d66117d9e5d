// Response rate limiting end to end (issue 9): the real server with a low
// limit, a burst of UDP queries from 127.0.0.1, TCP beside it, and dig
// falling back to TCP on a slipped response. The tests wait on counts (every
// query accounted for in the replies and the metrics), never on a sleep.

import { execFile } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { join } from 'node:path';
import { promisify } from 'node:util';
import dnsPacket from 'dns-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildQuery, queryTcp, queryUdp } from '../helpers/dns.js';
import { type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

/** flipdns_rrl_responses_total by action. */
async function limited(server: FlipdnsHandle): Promise<{ dropped: number; slipped: number }> {
  const text = await (await fetch(`http://127.0.0.1:${server.httpPort}/metrics`)).text();
  const read = (action: string): number => Number(new RegExp(`^flipdns_rrl_responses_total\\{action="${action}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { dropped: read('dropped'), slipped: read('slipped') };
}

interface Burst {
  full: number;
  truncated: number;
  /** Truncated replies that carried any record, or no question: there must be none. */
  malformed: number;
  seconds: number;
}

/** Sends `count` queries for `name` at once from one socket on 127.0.0.1; returns once each is answered or counted as dropped. */
async function burst(server: FlipdnsHandle, name: string, count: number): Promise<Burst> {
  const before = await limited(server);
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const result: Burst = { full: 0, truncated: 0, malformed: 0, seconds: 0 };
  const started = performance.now();
  socket.on('message', (raw) => {
    const packet = dnsPacket.decode(raw);
    if (!packet.flag_tc) result.full++;
    else {
      result.truncated++;
      if ((packet.answers?.length ?? 0) + (packet.authorities?.length ?? 0) + (packet.additionals?.length ?? 0) > 0 || packet.questions?.[0]?.name !== name) result.malformed++;
    }
    result.seconds = (performance.now() - started) / 1000;
  });
  try {
    for (let id = 0; id < count; id++) socket.send(buildQuery({ name, id }), server.port, '127.0.0.1');
    await waitFor(async () => {
      const now = await limited(server);
      return result.full + result.truncated + (now.dropped - before.dropped) === count && now.slipped - before.slipped === result.truncated;
    }, `${count} queries answered, truncated or dropped`);
  } finally {
    socket.close();
  }
  return result;
}

describe('response rate limiting, end to end', () => {
  const RATE = 5;
  const SLIP = 3;
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(join(REPO, 'zones'), ['--rrl-responses-per-second', String(RATE), '--rrl-slip', String(SLIP)]);
  });
  afterAll(() => server?.stop());

  it('answers a burst from one address up to the rate, truncates every Nth of the rest and drops the others', async () => {
    const count = 150;
    const before = await limited(server);
    const { full, truncated, malformed, seconds } = await burst(server, 'www.example.test', count);
    const after = await limited(server);
    // A full bucket's worth at once, then the rate for as long as the burst lasted.
    expect(full).toBeGreaterThanOrEqual(RATE);
    expect(full).toBeLessThanOrEqual(RATE + Math.ceil(RATE * seconds) + 1);
    expect(truncated).toBe(Math.floor((count - full) / SLIP));
    expect(malformed).toBe(0);
    expect(after.slipped - before.slipped).toBe(truncated);
    expect(after.dropped - before.dropped).toBe(count - full - truncated);
  });

  it('still answers TCP in full from the address it limits', async () => {
    await burst(server, 'www.example.test', 30);
    for (let i = 0; i < 10; i++) {
      const { packet } = await queryTcp(server.port, { name: 'www.example.test' });
      expect(packet?.flag_tc).toBe(false);
      expect(packet?.answers?.length).toBeGreaterThan(0);
    }
  });

  it('keeps other names apart: a burst for one leaves another answered', async () => {
    await burst(server, 'www.example.test', 30);
    const { packet } = await queryUdp(server.port, { name: 'ftp.example.test' }, { retries: 0 });
    expect(packet?.flag_tc).toBe(false);
    expect(packet?.answers?.length).toBeGreaterThan(0);
  });
});

describe('response rate limiting with dig', () => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(join(REPO, 'zones'), ['--rrl-responses-per-second', '1', '--rrl-slip', '1']);
  });
  afterAll(() => server?.stop());

  it('sends dig a truncated response, and dig gets the answer over TCP', async () => {
    // Each attempt empties the bucket first; one is enough unless a whole second passed before dig asked.
    let out = '';
    for (let attempt = 0; attempt < 3 && !out.includes('Truncated'); attempt++) {
      await burst(server, 'www.example.test', 5);
      ({ stdout: out } = await run('dig', ['@127.0.0.1', '-p', String(server.port), '+notcp', '+time=2', '+tries=1', '+norec', 'www.example.test', 'A']));
    }
    expect(out).toContain(';; Truncated, retrying in TCP mode.');
    expect(out).toMatch(/status: NOERROR/);
    expect(out).toMatch(/^www\.example\.test\.\s+\d+\s+IN\s+A\s+192\.0\.2\.\d+$/m);
    expect(out).toMatch(/\(TCP\)/);
  });
});
