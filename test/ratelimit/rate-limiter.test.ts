import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { ANONYMOUS, type Principal } from '../../src/auth/index.js';
import { MemoryStore, type RateLimiter } from '../../src/ratelimit/index.js';
import { createTestLimiter, TestClock } from './helpers.js';

const apiKey: Principal = { kind: 'apiKey', tier: 'apiKey', keyFingerprint: 'abcdef012345', key: 'current' };
const admin: Principal = { kind: 'admin', tier: 'jwt', username: 'admin', authMethod: 'jwt', jti: 'token-1', expiresAt: new Date(0) };
const subject = (principal: Principal, clientIp = '192.0.2.1') => ({ principal, clientIp, databaseId: 'default' });

let open: RateLimiter[] = [];
afterEach(async () => {
  for (const limiter of open) await limiter.close();
  open = [];
});

async function limiterWith(env: Record<string, string> = {}) {
  const created = await createTestLimiter(env);
  open.push(created.limiter);
  return created;
}

/** Admits `count` requests of one charge and returns how many were admitted. */
async function admitMany(limiter: RateLimiter, principal: Principal, category: 'read' | 'write' | 'query' | 'monitoring', count: number): Promise<number> {
  let admitted = 0;
  for (let index = 0; index < count; index += 1) {
    const admission = await limiter.admit(subject(principal), limiter.costs.base(category));
    if (admission.admitted) admitted += 1;
    admission.release();
  }
  return admitted;
}

describe('rate limiter service', () => {
  const budgets: Array<{ category: 'read' | 'write' | 'query' | 'monitoring'; principal: Principal; expected: number }> = [
    { category: 'read', principal: ANONYMOUS, expected: 120 },
    { category: 'read', principal: admin, expected: 240 },
    { category: 'read', principal: apiKey, expected: 600 },
    { category: 'monitoring', principal: admin, expected: 240 },
    { category: 'query', principal: admin, expected: 160 },
    { category: 'query', principal: apiKey, expected: 400 },
    // Writes cost 3: floor(20 / 3) for jwt, floor(50 / 3) for API keys.
    { category: 'write', principal: admin, expected: 6 },
    { category: 'write', principal: apiKey, expected: 16 },
  ];
  for (const { category, principal, expected } of budgets) {
    test(`${category} budget of ${principal.tier}: ${expected}`, async () => {
      const { limiter } = await limiterWith();
      assert.equal(await admitMany(limiter, principal, category, expected + 5), expected);
    });
  }

  test('blocked decision carries numbers', async () => {
    const { limiter } = await limiterWith({ RATE_LIMIT_WRITE_MAX: '2' });
    const first = await limiter.admit(subject(ANONYMOUS), limiter.costs.base('write'));
    const second = await limiter.admit(subject(ANONYMOUS), limiter.costs.base('write'));

    assert.equal(first.admitted, false, 'cost 3 never fits a limit of 2');
    assert.equal(second.rate?.limit, 2);
    assert.equal(second.rate?.cost, 3);
    assert.equal(second.rate?.retryAfterSec, 1);
    assert.equal(second.exceeded, 'rate');
  });

  test('recovers after the window', async () => {
    const { limiter, clock } = await limiterWith({ RATE_LIMIT_READ_MAX: '2', RATE_LIMIT_READ_WINDOW_MS: '1000' });
    assert.equal(await admitMany(limiter, ANONYMOUS, 'read', 3), 2);
    clock.advance(2_000);
    assert.equal(await admitMany(limiter, ANONYMOUS, 'read', 3), 2);
  });

  test('shadow mode admits and counts', async () => {
    const { limiter, audit } = await limiterWith({ RATE_LIMIT_MODE: 'shadow', RATE_LIMIT_READ_MAX: '1' });
    await limiter.admit(subject(ANONYMOUS), limiter.costs.base('read'));
    const over = await limiter.admit(subject(ANONYMOUS), limiter.costs.base('read'));

    assert.equal(over.admitted, true);
    assert.equal(over.rate?.overLimit, true);
    assert.equal(over.exceeded, 'rate');
    assert.deepEqual(limiter.decisionCounts(), [
      { category: 'read', tier: 'anonymous', outcome: 'allowed', count: 1 },
      { category: 'read', tier: 'anonymous', outcome: 'shadow_blocked', count: 1 },
    ]);
    assert.equal(audit.list({ event: 'ratelimit.shadow_blocked' }).length, 1);
  });

  test('blocked audited once per window', async () => {
    const { limiter, audit, clock } = await limiterWith({ RATE_LIMIT_READ_MAX: '1', RATE_LIMIT_READ_WINDOW_MS: '1000' });
    await admitMany(limiter, ANONYMOUS, 'read', 5);
    assert.equal(audit.list({ event: 'ratelimit.blocked' }).length, 1);

    clock.advance(2_000);
    await admitMany(limiter, ANONYMOUS, 'read', 5);
    const events = audit.list({ event: 'ratelimit.blocked' });
    assert.equal(events.length, 2);
    assert.equal(events[0]!.actor.ip, '192.0.2.1');
    assert.equal(events[0]!.detail?.category, 'read');
    assert.deepEqual(limiter.decisionCounts().find((entry) => entry.outcome === 'blocked')?.count, 8);
  });

  test('in-flight cap of API key', async () => {
    const { limiter } = await limiterWith();
    const held = [];
    for (let index = 0; index < 12; index += 1) held.push(await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 1')));
    assert.ok(held.every((admission) => admission.admitted));
    assert.equal(held[11]!.concurrency?.inFlight, 12);

    const thirteenth = await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 1'));
    assert.equal(thirteenth.admitted, false);
    assert.equal(thirteenth.exceeded, 'concurrency');
    assert.deepEqual(thirteenth.concurrency, { admitted: false, overLimit: true, tier: 'apiKey', limit: 12, inFlight: 12 });
    assert.equal(thirteenth.rate?.cost, 0, 'the rejected query reads its bucket without a charge');
    assert.equal(thirteenth.rate?.remaining, held[11]!.rate?.remaining);

    held[0]!.release();
    held[0]!.release();
    const afterRelease = await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 1'));
    assert.equal(afterRelease.admitted, true);
    assert.equal(afterRelease.concurrency?.inFlight, 12);
  });

  test('in-flight cap of jwt is 6', async () => {
    const { limiter } = await limiterWith();
    const results = [];
    for (let index = 0; index < 7; index += 1) results.push((await limiter.admit(subject(admin), limiter.costs.query('SELECT 1'))).admitted);
    assert.deepEqual(results, [true, true, true, true, true, true, false]);
  });

  test('rate rejection frees the slot', async () => {
    const { limiter } = await limiterWith({ RATE_LIMIT_QUERY_MAX: '1', RATE_LIMIT_APIKEY_MULTIPLIER: '1' });
    const first = await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 1'));
    const second = await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 1'));
    assert.equal(first.admitted, true);
    assert.equal(second.exceeded, 'rate');
    assert.equal(limiter.heldSlotCount, 1);
  });

  test('concurrency disabled skips slots', async () => {
    const { limiter } = await limiterWith({ RATE_LIMIT_QUERY_CONCURRENCY_ENABLED: 'false' });
    const admission = await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 1'));
    assert.equal(admission.concurrency, null);
  });

  test('disabled limiter admits everything', async () => {
    const { limiter } = await limiterWith({ RATE_LIMIT_ENABLED: 'false', RATE_LIMIT_READ_MAX: '1' });
    assert.equal(await admitMany(limiter, ANONYMOUS, 'read', 5), 5);
    assert.equal(limiter.storeStatus(), 'disabled');
  });

  test('message charge for sockets', async () => {
    // WebSocket control messages and protocol catalog statements cost 1 read; statements run on
    // DuckDB are charged like a query and hold a slot until released.
    const { limiter } = await limiterWith({ RATE_LIMIT_READ_MAX: '2', RATE_LIMIT_APIKEY_MULTIPLIER: '1' });
    const ping = await limiter.admit(subject(apiKey), limiter.costs.base('read'));
    const statement = await limiter.admit(subject(apiKey), limiter.costs.query('SELECT 42'));
    assert.equal(ping.admitted, true);
    assert.equal(statement.rate?.category, 'query');
    assert.equal(limiter.heldSlotCount, 1);
    statement.release();
    assert.equal(limiter.heldSlotCount, 0);
  });
});

describe('memory store', () => {
  test('sweep drops idle buckets', async () => {
    const clock = new TestClock();
    const store = new MemoryStore({ cleanupIntervalMs: 60_000, slotTtlMs: 10_000, now: clock.now });
    await store.consume({ key: 'a', windowMs: 1_000, limit: 5, cost: 1 });
    await store.consume({ key: 'b', windowMs: 5_000, limit: 5, cost: 1 });

    clock.advance(1_999);
    assert.equal(store.sweep(), 0);
    clock.advance(1);
    assert.equal(store.sweep(), 1);
    assert.equal(store.bucketCount, 1);
    await store.close();
  });

  test('stale slots expire after TTL', async () => {
    const clock = new TestClock();
    const store = new MemoryStore({ cleanupIntervalMs: 60_000, slotTtlMs: 3_000, now: clock.now });
    const request = { key: 'k', maxInFlight: 1, ttlMs: 3_000 };
    assert.equal((await store.acquireSlot({ ...request, slotId: 'one' })).acquired, true);
    assert.equal((await store.acquireSlot({ ...request, slotId: 'two' })).acquired, false);

    clock.advance(2_000);
    await store.refreshSlots([{ key: 'k', slotId: 'one' }]);
    clock.advance(2_000);
    assert.equal((await store.acquireSlot({ ...request, slotId: 'two' })).acquired, false, 'a refreshed slot is kept');
    clock.advance(1_000);
    assert.equal((await store.acquireSlot({ ...request, slotId: 'two' })).acquired, true);
    await store.close();
  });
});
