// Client requests in a lab: the nodes' service, the clients' prober, and what
// their records say: the share of requests that failed or reached the dead node
// over time since the failure, and when the clients had moved for good.

import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { LabProcess } from '../drill/lab.js';
import type { Host } from './netns.js';
import { script } from './scripts.js';
import type { ProbeRecord } from './udp-prober.js';

export const SERVICE_PORT = 7007;


/** The node's service: answers with `name` on `address` (or on every address, for a VIP that comes and goes). */
export function startService(host: Host, name: string, address: string, { anyAddress = false } = {}): LabProcess {
  return host.spawn('service', process.execPath, [script('udp-service'), address, String(SERVICE_PORT), name, ...(anyAddress ? ['any'] : [])]);
}

export interface Prober {
  /** Stops it and returns its records, without those still within their timeout. */
  stop(): Promise<ProbeRecord[]>;
}

/** A client sending a request to `address` every `everyMs`; resolves once it sends. */
export async function startProber(host: Host, address: string, everyMs: number, timeoutMs: number): Promise<Prober> {
  const out = `${host.ns}-probes.json`;
  const proc = host.spawn('prober', process.execPath, [script('udp-prober'), address, String(SERVICE_PORT), String(everyMs), String(timeoutMs), out]);
  const records = join(dirname(proc.logFile), out);
  const deadline = Date.now() + 10_000;
  while (!(existsSync(proc.logFile) && readFileSync(proc.logFile, 'utf8').includes('probing'))) {
    if (!proc.running() || Date.now() > deadline) throw new Error(`the prober did not start: ${proc.tail()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    async stop() {
      const stoppedAt = performance.timeOrigin + performance.now();
      await proc.stop('SIGTERM');
      if (!existsSync(records)) throw new Error(`the prober left no records: ${proc.tail()}`);
      return (JSON.parse(readFileSync(records, 'utf8')) as ProbeRecord[]).filter((record) => record.at < stoppedAt - timeoutMs);
    },
  };
}

export interface RequestFigures {
  requests: number;
  /** Requests sent after the failure that failed or reached the dead node. */
  bad: number;
  /** Share bad per bin since T0: [bin start ms, share]; bins with no request are left out. */
  curve: Array<[number, number]>;
  /** The first request after which every request reached the survivor, ms after T0 (undefined: never). */
  movedMs?: number;
  /** The last bad request, ms after T0. */
  lastBadMs?: number;
}

/** `t0` on the same wall clock as the records. */
export function requestFigures(records: ProbeRecord[], t0: number, survivor: string, binMs: number): RequestFigures {
  const after = records.filter((record) => record.at >= t0).sort((a, b) => a.at - b.at);
  const bins = new Map<number, [number, number]>();
  let lastBad: number | undefined;
  for (const record of after) {
    const bin = Math.floor((record.at - t0) / binMs) * binMs;
    const counts = bins.get(bin) ?? [0, 0];
    counts[0]++;
    if (record.node !== survivor) {
      counts[1]++;
      lastBad = record.at - t0;
    }
    bins.set(bin, counts);
  }
  const firstGoodAfterLastBad = after.find((record) => record.at - t0 > (lastBad ?? -1));
  return {
    requests: after.length,
    bad: after.filter((record) => record.node !== survivor).length,
    curve: [...bins].sort(([a], [b]) => a - b).map(([bin, [total, bad]]) => [bin, bad / total]),
    movedMs: firstGoodAfterLastBad && firstGoodAfterLastBad.at - t0,
    lastBadMs: lastBad,
  };
}
