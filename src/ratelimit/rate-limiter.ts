import { randomBytes } from 'node:crypto';
import type { AuditLog } from '../audit/index.js';
import { describePrincipal, type Tier } from '../auth/index.js';
import type { Logger } from '../logging/index.js';
import { RateLimitCosts, type RateCharge } from './costs.js';
import { DecisionCounts, type DecisionCount, type DecisionOutcome } from './decision-counts.js';
import {
  buildRateLimitKey,
  serializeBucketKey,
  serializeInFlightKey,
  type ChargeSubject,
  type RateLimitKey,
} from './identity-key.js';
import { tierLimit, type RateLimitCategory, type RateLimitSettings } from './settings.js';
import type { HeldSlot, RateLimitStore } from './store.js';
import { FailoverStore } from './stores/failover-store.js';
import { MemoryStore } from './stores/memory-store.js';
import { RedisStore } from './stores/redis-store.js';

/** The rate decision of one request, with the numbers its headers and 429 body report. */
export interface RateDecision {
  /** False only when enforcing and over the limit. */
  admitted: boolean;
  /** The request did not fit the budget; in shadow mode it is admitted anyway. */
  overLimit: boolean;
  key: RateLimitKey;
  category: RateLimitCategory;
  tier: Tier;
  cost: number;
  limit: number;
  remaining: number;
  windowMs: number;
  /** Seconds until the request would fit; 0 when it fits. */
  retryAfterSec: number;
  /** Seconds until one unit frees; 0 when usage is below 1. */
  resetSec: number;
}

/** The in-flight decision of one query. */
export interface ConcurrencyDecision {
  admitted: boolean;
  overLimit: boolean;
  tier: Tier;
  /** Queries the caller may have in flight. */
  limit: number;
  /** Queries in flight after the decision, this one included when it got a slot. */
  inFlight: number;
}

/**
 * Outcome of `admit`. `release` frees the query's in-flight slot; the caller calls it when the
 * response ends or the connection closes. It may be called any number of times.
 */
export interface Admission {
  admitted: boolean;
  /** Limit that rejected the request, or would have in shadow mode; null when both passed. */
  exceeded: 'rate' | 'concurrency' | null;
  /**
   * Rate decision, null while rate limiting is disabled. On a concurrency rejection it is the bucket
   * read with cost 0, so the 429 carries the rate headers without a charge. It is null if that read failed.
   */
  rate: RateDecision | null;
  /** Null unless the charge is a `query` by a tier with an in-flight cap. */
  concurrency: ConcurrencyDecision | null;
  release(): void;
}

/** Context for audit events; never a secret. */
export interface AdmitContext {
  requestId?: string | null;
  /** Target of the audit event, e.g. `POST /api/query`. */
  target?: string | null;
}

/** `memory` or `redis` while healthy, `degraded` while Redis fails, `disabled` with `RATE_LIMIT_ENABLED=false`. */
export type RateLimitStoreStatus = 'memory' | 'redis' | 'degraded' | 'disabled';

export interface RateLimiterDependencies {
  settings: RateLimitSettings;
  logger: Logger;
  audit: AuditLog;
  /** A ready store instead of the one the settings choose, for tests. */
  store?: RateLimitStore;
  /** While Redis fails, it is tried again after this long (default 5 s); tests shorten it. */
  redisRetryIntervalMs?: number;
  now?: () => number;
}

const NO_ADMISSION_LIMIT: Admission = Object.freeze({
  admitted: true,
  exceeded: null,
  rate: null,
  concurrency: null,
  release: () => undefined,
});

/**
 * The one limiter of every entry point. HTTP routes, WebSocket messages and MySQL-protocol
 * statements all call `admit` with the request's subject and charge (from `costs`), and turn a
 * rejection into their own reply: 429 over HTTP, an error reply on a socket, error 1226 on the
 * protocol. A `query` charge also takes an in-flight slot, which the caller frees with `release`.
 */
export class RateLimiter {
  readonly costs: RateLimitCosts;
  private readonly counts = new DecisionCounts();
  /** Per bucket key: end of the window in which `ratelimit.blocked` was last recorded, in ms. */
  private readonly blockedAuditUntil = new Map<string, number>();
  private readonly heldSlots = new Map<string, HeldSlot>();
  private readonly slotIdPrefix = randomBytes(6).toString('hex');
  private nextSlotNumber = 1;
  private readonly refreshTimer: NodeJS.Timeout | null;
  private readonly now: () => number;

  private constructor(
    readonly settings: RateLimitSettings,
    private readonly store: RateLimitStore,
    private readonly logger: Logger,
    private readonly audit: AuditLog,
    now: () => number,
  ) {
    this.costs = new RateLimitCosts(settings);
    this.now = now;
    // Running queries refresh their entries every third of the TTL, so only the entries of a
    // crashed instance expire.
    this.refreshTimer = settings.enabled ? setInterval(() => void this.refreshHeldSlots(), settings.concurrency.inFlightTtlMs / 3) : null;
    this.refreshTimer?.unref();
  }

  /** Builds the limiter and its store: Redis with failover when `REDIS_URL` is set, else memory. */
  static async create(dependencies: RateLimiterDependencies): Promise<RateLimiter> {
    const { settings, logger } = dependencies;
    const now = dependencies.now ?? Date.now;
    const store = dependencies.store ?? (await createStore(settings, logger, now, dependencies.redisRetryIntervalMs));
    logger.info({ enabled: settings.enabled, mode: settings.mode, store: store.kind }, 'rate limiter ready');
    return new RateLimiter(settings, store, logger, dependencies.audit, now);
  }

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /**
   * Decides one request, message or statement: takes an in-flight slot for a `query` charge by a
   * capped tier, then charges the budget of its category. Throws only the 503
   * `DUCKLING_RATE_LIMIT_STORE_UNAVAILABLE` of the `closed` store policy.
   */
  async admit(subject: ChargeSubject, charge: RateCharge, context: AdmitContext = {}): Promise<Admission> {
    if (!this.settings.enabled) return NO_ADMISSION_LIMIT;

    const key = buildRateLimitKey(this.settings, subject, charge.category);
    const slot = await this.acquireSlot(key, charge.category);
    if (slot && !slot.decision.admitted) {
      this.recordDecision(subject, key, 'concurrency', context);
      const rate = await this.readBucket(key, charge.category);
      return { admitted: false, exceeded: 'concurrency', rate, concurrency: slot.decision, release: () => undefined };
    }

    const release = slot?.release ?? (() => undefined);
    let rate: RateDecision;
    try {
      rate = await this.consume(key, charge);
    } catch (error) {
      release();
      throw error;
    }
    if (!rate.admitted) release();

    const concurrencyExceeded = slot?.decision.overLimit ?? false;
    let exceeded: Admission['exceeded'] = null;
    if (rate.overLimit) exceeded = 'rate';
    else if (concurrencyExceeded) exceeded = 'concurrency';
    this.recordDecision(subject, key, exceeded, context, rate);

    return { admitted: rate.admitted, exceeded, rate, concurrency: slot?.decision ?? null, release };
  }

  /** Returns the tier's in-flight query cap, or null when no cap applies (limiting or caps off, anonymous). */
  maxQueriesInFlight(tier: Tier): number | null {
    const concurrency = this.settings.concurrency;
    if (!this.settings.enabled || !concurrency.enabled || tier === 'anonymous') return null;
    return concurrency.maxInFlight[tier];
  }

  /** Decision counts since start, per category, tier and outcome. */
  decisionCounts(): DecisionCount[] {
    return this.counts.list();
  }

  storeStatus(): RateLimitStoreStatus {
    if (!this.settings.enabled) return 'disabled';
    if (this.store instanceof FailoverStore && this.store.health === 'degraded') return 'degraded';
    return this.store.kind;
  }

  /** Store failures since start; 0 for the memory store. */
  storeErrorCount(): number {
    return this.store instanceof FailoverStore ? this.store.errorCount : 0;
  }

  /** Queries holding an in-flight slot in this process. */
  get heldSlotCount(): number {
    return this.heldSlots.size;
  }

  async close(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    await this.store.close();
  }

  /**
   * Reads a bucket without charging it (a cost of 0 adds nothing). A store failure returns null,
   * because the result only fills response headers of a request that is already rejected.
   */
  private async readBucket(key: RateLimitKey, category: RateLimitCategory): Promise<RateDecision | null> {
    try {
      return await this.consume(key, { category, cost: 0 });
    } catch {
      return null;
    }
  }

  private async consume(key: RateLimitKey, charge: RateCharge): Promise<RateDecision> {
    const category = this.settings.categories[charge.category];
    const limit = tierLimit(this.settings, charge.category, key.tier);
    const window = await this.store.consume({ key: serializeBucketKey(key), windowMs: category.windowMs, limit, cost: charge.cost });
    const overLimit = !window.allowed;
    return {
      admitted: !overLimit || this.settings.mode === 'shadow',
      overLimit,
      key,
      category: charge.category,
      tier: key.tier,
      cost: charge.cost,
      limit,
      remaining: window.remaining,
      windowMs: category.windowMs,
      retryAfterSec: window.retryAfterSec,
      resetSec: window.resetSec,
    };
  }

  private async acquireSlot(
    key: RateLimitKey,
    category: RateLimitCategory,
  ): Promise<{ decision: ConcurrencyDecision; release: () => void } | null> {
    const concurrency = this.settings.concurrency;
    if (category !== 'query' || !concurrency.enabled || key.tier === 'anonymous') return null;

    const maxInFlight = concurrency.maxInFlight[key.tier];
    const held: HeldSlot = { key: serializeInFlightKey(key), slotId: `${this.slotIdPrefix}:${this.nextSlotNumber++}` };
    const result = await this.store.acquireSlot({ ...held, maxInFlight, ttlMs: concurrency.inFlightTtlMs });
    const overLimit = !result.acquired;
    const decision: ConcurrencyDecision = {
      admitted: !overLimit || this.settings.mode === 'shadow',
      overLimit,
      tier: key.tier,
      limit: maxInFlight,
      inFlight: result.inFlight,
    };
    if (!result.acquired) return { decision, release: () => undefined };

    this.heldSlots.set(held.slotId, held);
    let released = false;
    const release = (): void => {
      if (released) return;
      released = true;
      this.heldSlots.delete(held.slotId);
      this.store.releaseSlot(held).catch((error: unknown) => this.logger.warn({ err: error }, 'in-flight slot release failed'));
    };
    return { decision, release };
  }

  private async refreshHeldSlots(): Promise<void> {
    try {
      await this.store.refreshSlots([...this.heldSlots.values()], this.settings.concurrency.inFlightTtlMs);
    } catch (error) {
      this.logger.warn({ err: error, slots: this.heldSlots.size }, 'in-flight slot refresh failed');
    }
  }

  private recordDecision(
    subject: ChargeSubject,
    key: RateLimitKey,
    exceeded: Admission['exceeded'],
    context: AdmitContext,
    rate?: RateDecision,
  ): void {
    const category = exceeded === 'concurrency' ? 'query' : key.category;
    let outcome: DecisionOutcome = 'allowed';
    if (exceeded !== null) outcome = this.settings.mode === 'shadow' ? 'shadow_blocked' : 'blocked';
    this.counts.add(category, key.tier, outcome);
    if (outcome === 'allowed') return;

    const bucketKey = exceeded === 'concurrency' ? serializeInFlightKey(key) : serializeBucketKey(key);
    if (outcome === 'blocked' && !this.firstBlockInWindow(bucketKey, rate?.windowMs ?? this.settings.categories.query.windowMs)) return;

    this.audit.record({
      event: outcome === 'blocked' ? 'ratelimit.blocked' : 'ratelimit.shadow_blocked',
      actor: { ...describePrincipal(subject.principal), ip: subject.clientIp },
      target: context.target ?? null,
      outcome: 'failure',
      requestId: context.requestId ?? null,
      detail: { category, tier: key.tier, limit: exceeded === 'concurrency' ? 'concurrency' : 'rate', key: bucketKey },
      throttleKey: bucketKey,
    });
  }

  /** True once per key and window, so `ratelimit.blocked` is recorded at most once per key per window. */
  private firstBlockInWindow(bucketKey: string, windowMs: number): boolean {
    const nowMs = this.now();
    const until = this.blockedAuditUntil.get(bucketKey);
    if (until !== undefined && nowMs < until) return false;

    this.blockedAuditUntil.set(bucketKey, nowMs + windowMs);
    if (this.blockedAuditUntil.size > 10_000) {
      for (const [key, expiresAtMs] of this.blockedAuditUntil) {
        if (expiresAtMs <= nowMs) this.blockedAuditUntil.delete(key);
      }
    }
    return true;
  }
}

async function createStore(
  settings: RateLimitSettings,
  logger: Logger,
  now: () => number,
  retryIntervalMs: number | undefined,
): Promise<RateLimitStore> {
  const memory = new MemoryStore({
    cleanupIntervalMs: settings.cleanupIntervalMs,
    slotTtlMs: settings.concurrency.inFlightTtlMs,
    now,
  });
  const url = settings.redis.url;
  if (!settings.enabled || url === null) return memory;

  const redis = new RedisStore({ url, keyPrefix: settings.redis.keyPrefix, timeoutMs: settings.redis.timeoutMs });
  const failover = new FailoverStore(redis, memory, {
    policy: settings.redis.failurePolicy,
    logger,
    now,
    ...(retryIntervalMs === undefined ? {} : { retryIntervalMs }),
  });
  await failover.start();
  return failover;
}
