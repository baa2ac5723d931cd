import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import type { FastifyRequest } from 'fastify';
import { UNLIMITED_ATTEMPTS } from '../../src/auth/index.js';
import { DucklingError } from '../../src/errors/index.js';
import { createAuthAttemptGuard, type RateLimiter } from '../../src/ratelimit/index.js';
import { createTestLimiter } from './helpers.js';

let limiter: RateLimiter | null = null;
afterEach(async () => {
  await limiter?.close();
  limiter = null;
});

/** The guard reads only the client address and request id of a request. */
const request = (ip: string): FastifyRequest => ({ ip, id: 'request-1' }) as unknown as FastifyRequest;

test('11th login attempt gets 429', async () => {
  const created = await createTestLimiter();
  limiter = created.limiter;
  const guard = createAuthAttemptGuard(limiter, created.clock.now);

  for (let attempt = 1; attempt <= 10; attempt += 1) await guard.beforePasswordAttempt(request('203.0.113.5'));
  const rejection = await guard.beforePasswordAttempt(request('203.0.113.5')).then(
    () => null,
    (error: unknown) => error,
  );

  assert.ok(rejection instanceof DucklingError, 'the 11th attempt must be rejected');
  assert.equal(rejection.code, 'DUCKLING_RATE_LIMITED');
  assert.equal(rejection.statusCode, 429);
  assert.equal(rejection.extra.category, 'auth');
  assert.equal(rejection.extra.tier, 'anonymous');
  assert.equal(rejection.headers['retry-after'], String(rejection.extra.retryAfter));
  assert.equal(rejection.headers['ratelimit-policy'], '"auth";q=10;w=60');
  assert.equal(created.audit.list({ event: 'ratelimit.blocked' }).length, 1);

  // Another address keeps its own budget.
  await guard.beforePasswordAttempt(request('203.0.113.6'));
});

test('invalid credentials share auth bucket', async () => {
  const created = await createTestLimiter({ RATE_LIMIT_AUTH_MAX: '3' });
  limiter = created.limiter;
  const guard = createAuthAttemptGuard(limiter, created.clock.now);

  await guard.onInvalidCredential(request('203.0.113.7'));
  await guard.beforePasswordAttempt(request('203.0.113.7'));
  await guard.onInvalidCredential(request('203.0.113.7'));
  await assert.rejects(guard.onInvalidCredential(request('203.0.113.7')), { code: 'DUCKLING_RATE_LIMITED' });
});

test('shadow mode never rejects attempts', async () => {
  const created = await createTestLimiter({ RATE_LIMIT_MODE: 'shadow', RATE_LIMIT_AUTH_MAX: '1' });
  limiter = created.limiter;
  const guard = createAuthAttemptGuard(limiter, created.clock.now);
  for (let attempt = 0; attempt < 3; attempt += 1) await guard.beforePasswordAttempt(request('203.0.113.8'));
  assert.equal(created.audit.list({ event: 'ratelimit.shadow_blocked' }).length, 2);
});

test('disabled limiter gives unlimited guard', async () => {
  const created = await createTestLimiter({ RATE_LIMIT_ENABLED: 'false' });
  limiter = created.limiter;
  assert.equal(createAuthAttemptGuard(limiter), UNLIMITED_ATTEMPTS);
});
