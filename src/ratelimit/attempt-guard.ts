import { ANONYMOUS, UNLIMITED_ATTEMPTS, type AuthAttemptGuard } from '../auth/index.js';
import type { RateLimiter } from './rate-limiter.js';
import { rateHeaders, rateLimitedError } from './response-fields.js';

/** Parts of a request that the guard reads, which a Fastify request has. */
interface AttemptRequest {
  /** Client address, resolved through `TRUST_PROXY`. */
  ip: string;
  id: string;
}

/**
 * Creates the authentication-attempt guard backed by the limiter. Each password attempt and each
 * presented credential that fails costs `RATE_LIMIT_COST_AUTH` from the client address's `auth`
 * bucket, always at the anonymous tier. Once the bucket is empty, the attempt is rejected with 429
 * `DUCKLING_RATE_LIMITED` before any password is compared. In shadow mode attempts are only
 * counted and logged. Without rate limiting every attempt is admitted.
 */
export function createAuthAttemptGuard(limiter: RateLimiter, now: () => number = Date.now): AuthAttemptGuard {
  if (!limiter.enabled) return UNLIMITED_ATTEMPTS;

  const charge = async (request: AttemptRequest, target: string): Promise<Record<string, string>> => {
    const admission = await limiter.admit(
      { principal: ANONYMOUS, clientIp: request.ip, databaseId: null },
      limiter.costs.base('auth'),
      { requestId: request.id, target },
    );
    if (!admission.rate) return {};
    if (!admission.admitted) throw rateLimitedError(admission.rate, now());
    return rateHeaders(admission.rate, now());
  };

  return {
    beforePasswordAttempt: (request: AttemptRequest) => charge(request, 'password attempt'),
    onInvalidCredential: async (request: AttemptRequest) => {
      await charge(request, 'invalid credential');
    },
  };
}
