// The short fuzz run in CI: 20,000 mutated and random UDP packets and 500 TCP
// streams with honest and broken framing (bench/fuzz-lib.mjs; the 1,000,000
// packet run is bench/fuzz.mjs). The server must not crash, must keep answering
// a valid query within a second after every slice, and must not log errors.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs module of the bench folder, shared with bench/fuzz.mjs.
import { fuzz } from '../../bench/fuzz-lib.mjs';
import { type FlipdnsHandle, REPO, startFlipdns } from '../helpers/flipdns.js';

interface FuzzStats {
  udpSent: number;
  udpReplies: number;
  rcodes: Record<string, number>;
  tcpStreams: number;
  hangs: number;
  crashed: boolean;
}

describe('fuzzing the server', () => {
  let server: FlipdnsHandle;
  beforeAll(async () => {
    server = await startFlipdns(join(REPO, 'zones'));
  });
  afterAll(() => server?.stop());

  it('survives 20,000 hostile UDP packets and 500 hostile TCP streams, answering throughout', async () => {
    const alive = (): boolean => server.child.exitCode === null && server.child.signalCode === null;
    const stats = (await fuzz({ port: server.port, packets: 20_000, tcpStreams: 500, seed: 20261127, alive, slice: 2_000 })) as FuzzStats;
    expect(stats.crashed).toBe(false);
    expect(stats.hangs).toBe(0);
    expect(stats.udpSent).toBe(20_000);
    expect(stats.tcpStreams).toBe(500);
    // Mutated queries get answers (FORMERR for what cannot be parsed), not only silence.
    expect(stats.rcodes.FORMERR).toBeGreaterThan(0);
    expect(stats.rcodes.NOERROR).toBeGreaterThan(0);
    expect(server.logs.filter((line) => /"level":(50|60)/.test(line))).toEqual([]);
  });
});
