import { Redis } from 'ioredis';
import { describeWindow, type WindowDecision } from '../algorithm.js';
import type { ConsumeRequest, HeldSlot, RateLimitStore, SlotRequest, SlotResult } from '../store.js';
import { ACQUIRE_SLOT_SCRIPT, CONSUME_SCRIPT, REFRESH_SLOTS_SCRIPT } from './redis-scripts.js';

/** After a lost connection, ioredis reconnects at this interval. */
export const REDIS_RECONNECT_INTERVAL_MS = 5_000;
/** Namespace of the limiter's keys under `RATE_LIMIT_REDIS_PREFIX`. */
const KEY_NAMESPACE = 'ratelimit:';

export interface RedisStoreOptions {
  url: string;
  /** `RATE_LIMIT_REDIS_PREFIX`, put before every key. */
  keyPrefix: string;
  /** A call slower than this rejects (`RATE_LIMIT_STORE_TIMEOUT_MS`). */
  timeoutMs: number;
}

/** The scripts as ioredis exposes them after `defineCommand` (EVALSHA, falling back to EVAL). */
interface ScriptCommands {
  ducklingConsume(key: string, windowMs: number, limit: number, cost: number): Promise<number[]>;
  ducklingAcquireSlot(key: string, slotId: string, maxInFlight: number, ttlMs: number): Promise<number[]>;
  ducklingRefreshSlots(numberOfKeys: number, ...keysThenArguments: Array<string | number>): Promise<number>;
}

/**
 * Buckets and in-flight slots in Redis, shared by every instance that uses the same Redis and
 * prefix. Commands fail at once while disconnected (no offline queue) and after `timeoutMs`
 * otherwise, so a slow or absent Redis is reported as a store failure instead of delaying requests.
 */
export class RedisStore implements RateLimitStore {
  readonly kind = 'redis';
  private readonly client: Redis;
  private readonly scripts: ScriptCommands;

  constructor(options: RedisStoreOptions) {
    this.client = new Redis(options.url, {
      lazyConnect: true,
      keyPrefix: `${options.keyPrefix}${KEY_NAMESPACE}`,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.timeoutMs,
      connectTimeout: Math.max(options.timeoutMs, 1_000),
      retryStrategy: () => REDIS_RECONNECT_INTERVAL_MS,
    });
    this.client.defineCommand('ducklingConsume', { numberOfKeys: 1, lua: CONSUME_SCRIPT });
    this.client.defineCommand('ducklingAcquireSlot', { numberOfKeys: 1, lua: ACQUIRE_SLOT_SCRIPT });
    this.client.defineCommand('ducklingRefreshSlots', { lua: REFRESH_SLOTS_SCRIPT });
    this.scripts = this.client as unknown as ScriptCommands;
  }

  /** The ioredis client, for its `error`, `ready` and `end` events. */
  get connection(): Redis {
    return this.client;
  }

  /** Opens the connection; rejects when Redis cannot be reached, and ioredis keeps retrying. */
  async connect(): Promise<void> {
    if (this.client.status === 'wait' || this.client.status === 'end') await this.client.connect();
  }

  async consume(request: ConsumeRequest): Promise<WindowDecision> {
    const reply = await this.scripts.ducklingConsume(request.key, request.windowMs, request.limit, request.cost);
    const [allowed, windowStartMs, current, previous, nowMs] = reply.map(Number) as [number, number, number, number, number];
    return describeWindow(
      { windowStartMs, current, previous },
      { nowMs, windowMs: request.windowMs, limit: request.limit, cost: request.cost, allowed: allowed === 1 },
    );
  }

  async acquireSlot(request: SlotRequest): Promise<SlotResult> {
    const [acquired, inFlight] = (await this.scripts.ducklingAcquireSlot(request.key, request.slotId, request.maxInFlight, request.ttlMs)).map(Number) as [number, number];
    return { acquired: acquired === 1, inFlight };
  }

  async refreshSlots(slots: readonly HeldSlot[], ttlMs: number): Promise<void> {
    if (slots.length === 0) return;
    await this.scripts.ducklingRefreshSlots(slots.length, ...slots.map((slot) => slot.key), ttlMs, ...slots.map((slot) => slot.slotId));
  }

  async releaseSlot(slot: HeldSlot): Promise<void> {
    await this.client.zrem(slot.key, slot.slotId);
  }

  async close(): Promise<void> {
    this.client.disconnect();
  }
}
