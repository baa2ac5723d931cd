export { checkWindow, describeWindow, rollWindow, waitMs, weightedUsage, type WindowDecision, type WindowState } from './algorithm.js';
export { createAuthAttemptGuard } from './attempt-guard.js';
export { rateLimitAddress } from './client-address.js';
export { RateLimitCosts, type RateCharge } from './costs.js';
export type { DecisionCount, DecisionOutcome } from './decision-counts.js';
export { buildRateLimitKey, serializeBucketKey, serializeInFlightKey, type ChargeSubject, type RateLimitKey, type RateLimitScope } from './identity-key.js';
export {
  RateLimiter,
  type AdmitContext,
  type Admission,
  type ConcurrencyDecision,
  type RateDecision,
  type RateLimitStoreStatus,
} from './rate-limiter.js';
export { concurrencyHeaders, concurrencyLimitedError, rateHeaders, rateLimitedError } from './response-fields.js';
export {
  RATE_LIMIT_CATEGORIES,
  readRateLimitSettings,
  tierLimit,
  type CategorySettings,
  type RateLimitCategory,
  type RateLimitSettings,
  type StoreFailurePolicy,
} from './settings.js';
export type { RateLimitStore } from './store.js';
export { MemoryStore } from './stores/memory-store.js';
export { RedisStore } from './stores/redis-store.js';
export { FailoverStore, type StoreHealth } from './stores/failover-store.js';
