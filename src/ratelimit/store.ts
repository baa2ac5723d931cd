import type { WindowDecision } from './algorithm.js';

/** One charge against one bucket. */
export interface ConsumeRequest {
  /** Serialised bucket key; stores add their own prefix. */
  key: string;
  windowMs: number;
  limit: number;
  cost: number;
}

/** One query asking for an in-flight slot. */
export interface SlotRequest {
  /** Serialised in-flight key of the caller. */
  key: string;
  /** Unique id of this query's slot. */
  slotId: string;
  maxInFlight: number;
  /** Entries not refreshed for this long no longer count. */
  ttlMs: number;
}

export interface SlotResult {
  acquired: boolean;
  /** Slots held after the attempt, this one included when acquired. */
  inFlight: number;
}

export interface HeldSlot {
  key: string;
  slotId: string;
}

/**
 * Where buckets and in-flight slots live. Being over a limit is a result (`allowed: false`,
 * `acquired: false`); a failure of the store itself is a thrown error, which the failover store
 * handles according to `RATE_LIMIT_STORE_FAILURE`. Releasing or refreshing a slot that is gone
 * does nothing.
 */
export interface RateLimitStore {
  readonly kind: 'memory' | 'redis';
  consume(request: ConsumeRequest): Promise<WindowDecision>;
  acquireSlot(request: SlotRequest): Promise<SlotResult>;
  /** Marks slots as still running, so they outlive `ttlMs` from now on. */
  refreshSlots(slots: readonly HeldSlot[], ttlMs: number): Promise<void>;
  releaseSlot(slot: HeldSlot): Promise<void>;
  close(): Promise<void>;
}
