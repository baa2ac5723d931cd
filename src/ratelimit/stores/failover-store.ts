import { DucklingError, errorMessage } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { WindowDecision } from '../algorithm.js';
import type { StoreFailurePolicy } from '../settings.js';
import type { ConsumeRequest, HeldSlot, RateLimitStore, SlotRequest, SlotResult } from '../store.js';
import type { MemoryStore } from './memory-store.js';
import { REDIS_RECONNECT_INTERVAL_MS, type RedisStore } from './redis-store.js';

/** `ok`: the last Redis call succeeded; `degraded`: it failed and the failure policy applies. */
export type StoreHealth = 'ok' | 'degraded';

export interface FailoverStoreOptions {
  policy: StoreFailurePolicy;
  logger: Logger;
  /** While degraded, Redis is tried again after this long; tests shorten it. */
  retryIntervalMs?: number;
  now?: () => number;
}

/**
 * Redis with the declared failure behaviour (`RATE_LIMIT_STORE_FAILURE`). A Redis error or a call
 * slower than the store timeout is a store failure, never a limit decision. Then `memory` charges a
 * per-process memory store instead, `open` admits everything and `closed` rejects with 503
 * `DUCKLING_RATE_LIMIT_STORE_UNAVAILABLE`. While degraded, requests skip Redis and it is tried again
 * every `retryIntervalMs`; the first call that succeeds ends the degraded state. Each slot is
 * released in the store that granted it.
 */
export class FailoverStore implements RateLimitStore {
  readonly kind = 'redis';
  private failedAtMs: number | null = null;
  private failures = 0;
  private readonly slotOwners = new Map<string, RateLimitStore | null>();
  private readonly retryIntervalMs: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(
    private readonly primary: RedisStore,
    private readonly fallback: MemoryStore,
    private readonly options: FailoverStoreOptions,
  ) {
    this.retryIntervalMs = options.retryIntervalMs ?? REDIS_RECONNECT_INTERVAL_MS;
    this.now = options.now ?? Date.now;
    this.logger = options.logger;
    // ioredis reports every failed reconnect as an `error` event; the state changes are logged below.
    primary.connection.on('error', (error: Error) => this.logger.debug({ err: error }, 'redis connection error'));
  }

  /** Connects to Redis; when it is unreachable the store starts degraded instead of failing startup. */
  async start(): Promise<void> {
    try {
      await this.primary.connect();
      this.logger.info({ store: 'redis' }, 'rate-limit store connected');
    } catch (error) {
      this.recordFailure(error);
    }
  }

  get health(): StoreHealth {
    return this.failedAtMs === null ? 'ok' : 'degraded';
  }

  /** Store failures since start (`duckling_ratelimit_store_errors_total`). */
  get errorCount(): number {
    return this.failures;
  }

  consume(request: ConsumeRequest): Promise<WindowDecision> {
    return this.withPrimary(
      (store) => store.consume(request),
      () => this.fallback.consume(request),
      () => admitWithoutCharge(request),
    );
  }

  async acquireSlot(request: SlotRequest): Promise<SlotResult> {
    let owner: RateLimitStore | null = this.primary;
    const result = await this.withPrimary(
      (store) => store.acquireSlot(request),
      () => {
        owner = this.fallback;
        return this.fallback.acquireSlot(request);
      },
      () => {
        owner = null;
        return { acquired: true, inFlight: 0 };
      },
    );
    if (result.acquired) this.slotOwners.set(request.slotId, owner);
    return result;
  }

  async refreshSlots(slots: readonly HeldSlot[], ttlMs: number): Promise<void> {
    const inPrimary = slots.filter((slot) => this.slotOwners.get(slot.slotId) === this.primary);
    const inFallback = slots.filter((slot) => this.slotOwners.get(slot.slotId) === this.fallback);
    await this.fallback.refreshSlots(inFallback);
    if (inPrimary.length === 0 || this.health === 'degraded') return;
    try {
      await this.primary.refreshSlots(inPrimary, ttlMs);
    } catch (error) {
      this.recordFailure(error);
    }
  }

  async releaseSlot(slot: HeldSlot): Promise<void> {
    const owner = this.slotOwners.get(slot.slotId);
    this.slotOwners.delete(slot.slotId);
    if (!owner) return;
    try {
      await owner.releaseSlot(slot);
    } catch (error) {
      // The entry stays in Redis until its TTL passes, as a crashed instance's entries do.
      this.recordFailure(error);
    }
  }

  async close(): Promise<void> {
    await this.primary.close();
    await this.fallback.close();
  }

  private async withPrimary<T>(
    run: (store: RedisStore) => Promise<T>,
    inMemory: () => Promise<T>,
    open: () => T,
  ): Promise<T> {
    if (!this.retryDue()) return this.onFailure(inMemory, open);
    try {
      await this.primary.connect();
      const result = await run(this.primary);
      this.recordSuccess();
      return result;
    } catch (error) {
      this.recordFailure(error);
      return this.onFailure(inMemory, open);
    }
  }

  private onFailure<T>(inMemory: () => Promise<T>, open: () => T): Promise<T> | T {
    switch (this.options.policy) {
      case 'memory':
        return inMemory();
      case 'open':
        return open();
      case 'closed':
        throw new DucklingError('DUCKLING_RATE_LIMIT_STORE_UNAVAILABLE', {
          detail: 'Redis failed or answered too slowly; it is retried every few seconds',
        });
    }
  }

  private retryDue(): boolean {
    return this.failedAtMs === null || this.now() - this.failedAtMs >= this.retryIntervalMs;
  }

  private recordSuccess(): void {
    if (this.failedAtMs === null) return;
    this.failedAtMs = null;
    this.logger.info({ store: 'redis' }, 'rate-limit store recovered; limits are shared again');
  }

  private recordFailure(error: unknown): void {
    this.failures += 1;
    const wasHealthy = this.failedAtMs === null;
    this.failedAtMs = this.now();
    if (!wasHealthy) return;
    this.logger.warn(
      { store: 'redis', policy: this.options.policy, error: errorMessage(error), retryIntervalMs: this.retryIntervalMs },
      'rate-limit store failed; RATE_LIMIT_STORE_FAILURE applies until Redis answers again',
    );
  }
}

/** Returns the decision of the `open` policy: admitted, with nothing charged. */
function admitWithoutCharge(request: ConsumeRequest): WindowDecision {
  return {
    allowed: true,
    state: { windowStartMs: 0, current: 0, previous: 0 },
    usage: 0,
    remaining: request.limit,
    retryAfterSec: 0,
    resetSec: 0,
  };
}
