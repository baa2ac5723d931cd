import type { FastifyRequest } from 'fastify';

/**
 * Charges authentication attempts to the client address's `auth` rate-limit budget. Passwords are
 * checked only after `beforePasswordAttempt` admits the attempt, so a brute force is stopped before
 * any comparison. A presented bearer credential that fails costs one unit through
 * `onInvalidCredential`. Both throw the 429 `DUCKLING_RATE_LIMITED` error once the budget is empty.
 */
export interface AuthAttemptGuard {
  /** Returns the rate-limit headers of the admitted attempt, which the response should carry; empty without rate limiting. */
  beforePasswordAttempt(request: FastifyRequest): Promise<Record<string, string>>;
  onInvalidCredential(request: FastifyRequest): Promise<void>;
}

/** Guard of a server without rate limiting: every attempt is admitted. */
export const UNLIMITED_ATTEMPTS: AuthAttemptGuard = Object.freeze({
  beforePasswordAttempt: async () => ({}),
  onInvalidCredential: async () => undefined,
});
