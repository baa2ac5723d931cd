import { checkWindow, type WindowDecision, type WindowState } from '../algorithm.js';
import type { ConsumeRequest, HeldSlot, RateLimitStore, SlotRequest, SlotResult } from '../store.js';

interface MemoryBucket extends WindowState {
  windowMs: number;
}

/**
 * Buckets and in-flight slots of one process. Idle buckets (untouched for two windows, so both
 * counts are stale) and expired slots are swept every `cleanupIntervalMs`.
 */
export class MemoryStore implements RateLimitStore {
  readonly kind = 'memory';
  private readonly buckets = new Map<string, MemoryBucket>();
  /** Per in-flight key: slot id → time of the start or last refresh, in ms. */
  private readonly slots = new Map<string, Map<string, number>>();
  private readonly sweepTimer: NodeJS.Timeout;
  private readonly slotTtlMs: number;
  private readonly now: () => number;

  constructor(options: { cleanupIntervalMs: number; slotTtlMs: number; now?: () => number }) {
    this.slotTtlMs = options.slotTtlMs;
    this.now = options.now ?? Date.now;
    this.sweepTimer = setInterval(() => this.sweep(), options.cleanupIntervalMs);
    this.sweepTimer.unref();
  }

  async consume(request: ConsumeRequest): Promise<WindowDecision> {
    const stored = this.buckets.get(request.key) ?? null;
    const decision = checkWindow(stored, { nowMs: this.now(), windowMs: request.windowMs, limit: request.limit, cost: request.cost });
    this.buckets.set(request.key, { ...decision.state, windowMs: request.windowMs });
    return decision;
  }

  async acquireSlot(request: SlotRequest): Promise<SlotResult> {
    const nowMs = this.now();
    let held = this.slots.get(request.key);
    if (!held) {
      held = new Map();
      this.slots.set(request.key, held);
    }
    dropExpired(held, nowMs - request.ttlMs);
    if (held.size >= request.maxInFlight) return { acquired: false, inFlight: held.size };

    held.set(request.slotId, nowMs);
    return { acquired: true, inFlight: held.size };
  }

  async refreshSlots(slots: readonly HeldSlot[]): Promise<void> {
    const nowMs = this.now();
    for (const slot of slots) {
      const held = this.slots.get(slot.key);
      if (held?.has(slot.slotId)) held.set(slot.slotId, nowMs);
    }
  }

  async releaseSlot(slot: HeldSlot): Promise<void> {
    const held = this.slots.get(slot.key);
    if (!held) return;
    held.delete(slot.slotId);
    if (held.size === 0) this.slots.delete(slot.key);
  }

  async close(): Promise<void> {
    clearInterval(this.sweepTimer);
  }

  /** Buckets currently kept, for tests of the sweep. */
  get bucketCount(): number {
    return this.buckets.size;
  }

  /** Drops buckets idle for two windows and slots not refreshed within the slot TTL; returns the number of buckets dropped. */
  sweep(): number {
    const nowMs = this.now();
    let dropped = 0;
    for (const [key, bucket] of this.buckets) {
      if (nowMs - bucket.windowStartMs >= 2 * bucket.windowMs) {
        this.buckets.delete(key);
        dropped += 1;
      }
    }
    for (const [key, held] of this.slots) {
      dropExpired(held, nowMs - this.slotTtlMs);
      if (held.size === 0) this.slots.delete(key);
    }
    return dropped;
  }
}

function dropExpired(held: Map<string, number>, oldestKeptMs: number): void {
  for (const [slotId, refreshedAtMs] of held) {
    if (refreshedAtMs <= oldestKeptMs) held.delete(slotId);
  }
}
