import { DucklingError } from '../errors/index.js';
import type { ConcurrencyDecision, RateDecision } from './rate-limiter.js';

/**
 * Rate-limit response headers: the IETF httpapi `RateLimit-Policy` and `RateLimit` fields (draft 8
 * and later), the `X-RateLimit-*` fields that older clients read, and the shadow-mode markers.
 * Header names are lower case, as Node sends them.
 */
export function rateHeaders(decision: RateDecision, nowMs: number): Record<string, string> {
  const windowSec = Math.ceil(decision.windowMs / 1000);
  const headers: Record<string, string> = {
    'ratelimit-policy': `"${decision.category}";q=${decision.limit};w=${windowSec}`,
    ratelimit: `"${decision.category}";r=${decision.remaining};t=${decision.resetSec}`,
    'x-ratelimit-limit': String(decision.limit),
    'x-ratelimit-remaining': String(decision.remaining),
    'x-ratelimit-reset': String(Math.ceil(nowMs / 1000) + decision.resetSec),
    'x-ratelimit-cost': String(decision.cost),
  };
  if (decision.overLimit && decision.admitted) headers['x-ratelimit-shadow-would-block'] = 'true';
  return headers;
}

/** Headers of a query route: the caller's in-flight cap and count. */
export function concurrencyHeaders(decision: ConcurrencyDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-query-concurrency-limit': String(decision.limit),
    'x-ratelimit-query-concurrency-in-flight': String(decision.inFlight),
  };
  if (decision.overLimit && decision.admitted) headers['x-ratelimit-shadow-query-concurrency-would-block'] = 'true';
  return headers;
}

/** Builds the 429 `DUCKLING_RATE_LIMITED` error of a rejected request, with the rate headers, `Retry-After` and the body fields. */
export function rateLimitedError(decision: RateDecision, nowMs: number): DucklingError {
  return new DucklingError(
    'DUCKLING_RATE_LIMITED',
    {
      category: decision.category,
      limit: decision.limit,
      windowSec: Math.ceil(decision.windowMs / 1000),
      tier: decision.tier,
      cost: decision.cost,
      retryAfter: decision.retryAfterSec,
    },
    {
      headers: { ...rateHeaders(decision, nowMs), 'retry-after': String(decision.retryAfterSec) },
      extra: {
        retryAfter: decision.retryAfterSec,
        limit: decision.limit,
        remaining: decision.remaining,
        category: decision.category,
        cost: decision.cost,
        tier: decision.tier,
      },
    },
  );
}

/** Builds the 429 `DUCKLING_CONCURRENCY_LIMITED` error of a query over the in-flight cap, with `Retry-After: 1`. */
export function concurrencyLimitedError(decision: ConcurrencyDecision): DucklingError {
  return new DucklingError(
    'DUCKLING_CONCURRENCY_LIMITED',
    { inFlight: decision.inFlight, concurrencyLimit: decision.limit, tier: decision.tier },
    {
      headers: { 'retry-after': '1' },
      extra: { concurrencyLimit: decision.limit, inFlight: decision.inFlight, tier: decision.tier, category: 'query' },
    },
  );
}
