// The health store shared by every instance: state in Redis, each change made
// by one Lua script that also bumps the generation and publishes the event, so
// an event never goes out without its change or the other way round. Events
// arrive on a second connection in subscriber mode. The key schema is in
// README.md.

import { Redis } from 'ioredis';
import { GRACE_ALL, SWEEP } from './lua/deadlines.js';
import { SNAPSHOT, WRITE_DOCUMENT } from './lua/documents.js';
import { HEARTBEAT, REPORT_DOWN } from './lua/heartbeat.js';
import { RELEASE_LEAD, TRY_LEAD } from './lua/lease.js';
import { PUT_NODE, REMOVE_NODE, SET_ADMIN } from './lua/nodes.js';
import { type AdminState, type NodeRecord, type NodeSpec } from './model.js';
import { asStoreError } from './redis-errors.js';
import { describeRedisTarget, ioredisOptions, type RedisStoreOptions } from './redis-options.js';
import { LuaScript } from './redis-script.js';
import {
  COLLECTIONS,
  documentsOf,
  type Collection,
  StoreSettingsError,
  StoreUnavailableError,
  type HealthStore,
  type HeartbeatResult,
  type StoreEvent,
  type StoreSnapshot,
  type SweepResult,
} from './store.js';

export type { RedisStoreOptions } from './redis-options.js';

const scripts = {
  heartbeat: new LuaScript(HEARTBEAT),
  reportDown: new LuaScript(REPORT_DOWN),
  sweep: new LuaScript(SWEEP),
  graceAll: new LuaScript(GRACE_ALL),
  putNode: new LuaScript(PUT_NODE),
  removeNode: new LuaScript(REMOVE_NODE),
  setAdmin: new LuaScript(SET_ADMIN),
  writeDocument: new LuaScript(WRITE_DOCUMENT),
  snapshot: new LuaScript(SNAPSHOT),
  tryLead: new LuaScript(TRY_LEAD),
  releaseLead: new LuaScript(RELEASE_LEAD),
};

/** generation, now, node JSONs, then each collection's hash as field/value pairs, in COLLECTIONS order. */
type SnapshotReply = [number, number, string[], ...string[][]];

export class RedisStore implements HealthStore {
  readonly kind = 'redis' as const;
  private readonly prefix: string;
  private readonly command: Redis;
  private readonly subscriber: Redis;
  private readonly eventListeners: Array<(event: StoreEvent) => void> = [];
  private readonly connectivityListeners: Array<(connected: boolean) => void> = [];
  private subscribed = false;
  private reportedConnected = false;
  private started = false;
  private closed = false;
  /** A connection dropped since events last flowed: listeners must be told to resync. */
  private mayHaveMissedEvents = false;
  private lastError?: Error;
  private resolveFirstUp?: () => void;

  constructor(private readonly options: RedisStoreOptions) {
    this.prefix = options.prefix ?? 'flipdns:';
    this.command = new Redis(options.url, ioredisOptions(options));
    this.subscriber = new Redis(options.url, ioredisOptions(options));
    this.watchCommandConnection();
    this.watchSubscriber();
  }

  /** Connects both connections; rejects if Redis is not ready within `connectTimeoutMs`. */
  async start(): Promise<void> {
    const timeoutMs = this.options.connectTimeoutMs ?? 10_000;
    const firstUp = new Promise<void>((resolve) => (this.resolveFirstUp = resolve));
    // A failed attempt rejects here but is retried in the background until the timeout.
    this.command.connect().catch(() => {});
    this.subscriber.connect().catch(() => {});
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const cause = this.lastError ? `: ${this.lastError.message}` : '';
        reject(new StoreUnavailableError(`cannot reach Redis at ${describeRedisTarget(this.options)} within ${timeoutMs} ms${cause}`));
      }, timeoutMs);
    });
    try {
      await Promise.race([firstUp, timedOut]);
      await this.checkDatabase();
      this.started = true;
    } catch (err) {
      await this.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * ioredis falls back to database 0 when the URL's database does not exist,
   * which would silently share state with whatever uses 0: refuse instead.
   */
  private async checkDatabase(): Promise<void> {
    const db = Number(new URL(this.options.url).pathname.slice(1) || '0');
    if (db === 0) return;
    try {
      await this.command.select(db);
    } catch (err) {
      throw new StoreSettingsError(`store: Redis at ${describeRedisTarget(this.options)} has no database ${db}: ${(err as Error).message} (see "databases" in redis.conf)`);
    }
  }

  connected(): boolean {
    return this.command.status === 'ready';
  }

  onConnectivity(listener: (connected: boolean) => void): void {
    this.connectivityListeners.push(listener);
  }

  onEvent(listener: (event: StoreEvent) => void): void {
    this.eventListeners.push(listener);
  }

  async snapshot(): Promise<StoreSnapshot> {
    const [generation, now, nodes, ...hashes] = (await this.run(scripts.snapshot, [...COLLECTIONS])) as SnapshotReply;
    const documents = documentsOf();
    COLLECTIONS.forEach((collection, c) => {
      const pairs = hashes[c];
      for (let i = 0; i < pairs.length; i += 2) documents[collection][pairs[i]] = JSON.parse(pairs[i + 1]);
    });
    return { generation, now, nodes: nodes.map((json) => JSON.parse(json) as NodeRecord), documents };
  }

  async now(): Promise<number> {
    const [seconds, micros] = await this.call(() => this.command.time());
    // The same arithmetic as clock() in lua/prelude.ts.
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  }

  async putNode(spec: NodeSpec, options: { createOnly?: boolean } = {}): Promise<NodeRecord> {
    const json = await this.run(scripts.putNode, [spec.id, spec.intervalMs, spec.fall, spec.rise, spec.tokenHash, options.createOnly ? '1' : '0']);
    return JSON.parse(json as string) as NodeRecord;
  }

  async removeNode(id: string): Promise<boolean> {
    return (await this.run(scripts.removeNode, [id])) === 1;
  }

  async setAdmin(id: string, admin: AdminState, reason: string, by: string): Promise<NodeRecord | undefined> {
    const json = (await this.run(scripts.setAdmin, [id, admin, reason, by])) as string;
    return json === '' ? undefined : (JSON.parse(json) as NodeRecord);
  }

  async heartbeat(id: string, tokenHash: string): Promise<HeartbeatResult> {
    return JSON.parse((await this.run(scripts.heartbeat, [id, tokenHash])) as string) as HeartbeatResult;
  }

  async reportDown(id: string, tokenHash: string, reason: string): Promise<HeartbeatResult> {
    return JSON.parse((await this.run(scripts.reportDown, [id, tokenHash, reason])) as string) as HeartbeatResult;
  }

  async tryLead(instanceId: string, leaseMs: number): Promise<boolean> {
    return (await this.run(scripts.tryLead, [instanceId, Math.max(1, Math.round(leaseMs))])) === 1;
  }

  async releaseLead(instanceId: string): Promise<void> {
    await this.run(scripts.releaseLead, [instanceId]);
  }

  async sweep(): Promise<SweepResult> {
    return JSON.parse((await this.run(scripts.sweep, [])) as string) as SweepResult;
  }

  async graceAll(): Promise<void> {
    await this.run(scripts.graceAll, []);
  }

  async putDocument(collection: Collection, key: string, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    await this.writeDocument(collection, key, json, JSON.stringify({ kind: 'document', collection, key, value }));
  }

  async removeDocument(collection: Collection, key: string): Promise<boolean> {
    return this.writeDocument(collection, key, '', JSON.stringify({ kind: 'document', collection, key }));
  }

  async close(): Promise<void> {
    this.closed = true;
    this.command.disconnect();
    this.subscriber.disconnect();
  }

  /** Writes one document ('' deletes it); true when it changed (and the event went out). */
  private async writeDocument(hash: Collection, key: string, json: string, event: string): Promise<boolean> {
    return (await this.run(scripts.writeDocument, [hash, key, json, event])) === 1;
  }

  private run(script: LuaScript, args: Array<string | number>): Promise<unknown> {
    return this.call(() => script.run(this.command, [this.prefix, ...args]));
  }

  private async call<T>(send: () => Promise<T>): Promise<T> {
    if (!this.connected()) throw new StoreUnavailableError('the health store (Redis) is unreachable: not connected');
    try {
      return await send();
    } catch (err) {
      throw asStoreError(err);
    }
  }

  private watchCommandConnection(): void {
    this.command.on('error', (err: Error) => (this.lastError = err));
    this.command.on('ready', () => {
      this.reportConnectivity(true);
      this.checkEventsFlow();
    });
    this.command.on('close', () => {
      this.reportConnectivity(false);
      this.noteLoss();
    });
  }

  private watchSubscriber(): void {
    const channel = `${this.prefix}events`;
    this.subscriber.on('error', (err: Error) => (this.lastError = err));
    this.subscriber.on('ready', () => {
      // Events flow once Redis has confirmed the subscription, not before: a
      // snapshot read after `resync` must not miss a change published in between.
      this.subscriber.subscribe(channel).then(
        () => {
          this.subscribed = true;
          this.checkEventsFlow();
        },
        // The connection dropped again; the next `ready` subscribes again.
        (err: Error) => (this.lastError = err),
      );
    });
    this.subscriber.on('close', () => {
      this.subscribed = false;
      this.noteLoss();
    });
    this.subscriber.on('message', (from: string, message: string) => {
      if (from === channel) this.dispatch(JSON.parse(message) as StoreEvent);
    });
  }

  private noteLoss(): void {
    if (this.started) this.mayHaveMissedEvents = true;
  }

  /** Called when either connection becomes usable: acts once both are. */
  private checkEventsFlow(): void {
    if (!this.connected() || !this.subscribed) return;
    if (!this.started) {
      this.resolveFirstUp?.();
    } else if (this.mayHaveMissedEvents) {
      this.mayHaveMissedEvents = false;
      this.dispatch({ kind: 'resync' });
    }
  }

  private reportConnectivity(connected: boolean): void {
    if (this.closed || connected === this.reportedConnected) return;
    this.reportedConnected = connected;
    for (const listener of this.connectivityListeners) listener(connected);
  }

  private dispatch(event: StoreEvent): void {
    if (this.closed) return;
    for (const listener of this.eventListeners) listener(event);
  }
}
