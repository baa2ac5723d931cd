import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { AuditLog } from '../../src/audit/index.js';
import { ANONYMOUS, type Principal } from '../../src/auth/index.js';
import { MemoryStore, RateLimiter, RedisStore } from '../../src/ratelimit/index.js';
import { settingsFrom, silentLogger } from './helpers.js';
import { sleep, startPrivateRedis, type PrivateRedis } from '../harness/redis.js';

const apiKey: Principal = { kind: 'apiKey', tier: 'apiKey', keyFingerprint: 'abcdef012345', key: 'current' };

let redis: PrivateRedis;
before(async () => {
  redis = await startPrivateRedis();
});
after(async () => {
  await redis?.stop();
});

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function redisStore(keyPrefix: string, timeoutMs = 200): RedisStore {
  const store = new RedisStore({ url: redis.url, keyPrefix, timeoutMs });
  closers.push(() => store.close());
  return store;
}

async function redisLimiter(env: Record<string, string>): Promise<RateLimiter> {
  const logger = silentLogger();
  const limiter = await RateLimiter.create({
    settings: settingsFrom({ REDIS_URL: redis.url, RATE_LIMIT_REDIS_PREFIX: `test-${Math.random()}:`, ...env }),
    logger,
    audit: new AuditLog(logger),
    redisRetryIntervalMs: 100,
  });
  closers.push(() => limiter.close());
  return limiter;
}

describe('redis store', () => {
  test('decisions match the memory store', async () => {
    const store = redisStore('match:');
    await store.connect();
    const memory = new MemoryStore({ cleanupIntervalMs: 60_000, slotTtlMs: 60_000 });
    closers.push(() => memory.close());

    const costs = [3, 3, 1, 2, 1, 1, 5, 1];
    for (const [index, cost] of costs.entries()) {
      const request = { key: 'bucket', windowMs: 60_000, limit: 10, cost };
      const fromRedis = await store.consume(request);
      const fromMemory = await memory.consume(request);
      assert.equal(fromRedis.allowed, fromMemory.allowed, `request ${index} (cost ${cost})`);
      assert.equal(fromRedis.remaining, fromMemory.remaining, `remaining after request ${index}`);
      assert.equal(fromRedis.retryAfterSec, fromMemory.retryAfterSec, `Retry-After of request ${index}`);
    }
  });

  test('keys expire after two windows', async () => {
    const store = redisStore('expiry:');
    await store.connect();
    await store.consume({ key: 'bucket', windowMs: 1_000, limit: 10, cost: 1 });

    const client = new Redis(redis.url);
    closers.push(async () => client.disconnect());
    const ttlMs = await client.pttl('expiry:ratelimit:bucket');
    assert.ok(ttlMs > 1_000, `TTL ${ttlMs} ms should be more than one window`);
    assert.ok(ttlMs <= 2_000, `TTL ${ttlMs} ms should be at most two windows`);
  });

  test('crashed instance slots expire', async () => {
    const crashed = redisStore('slots:');
    const survivor = redisStore('slots:');
    await crashed.connect();
    await survivor.connect();
    const request = { key: 'inflight:caller', maxInFlight: 2, ttlMs: 500 };

    assert.equal((await crashed.acquireSlot({ ...request, slotId: 'a:1' })).acquired, true);
    assert.equal((await crashed.acquireSlot({ ...request, slotId: 'a:2' })).acquired, true);
    await crashed.close();
    assert.deepEqual(await survivor.acquireSlot({ ...request, slotId: 'b:1' }), { acquired: false, inFlight: 2 });

    await sleep(600);
    assert.deepEqual(await survivor.acquireSlot({ ...request, slotId: 'b:1' }), { acquired: true, inFlight: 1 });
  });

  test('refreshed slots outlive TTL', async () => {
    const store = redisStore('refresh:');
    await store.connect();
    const request = { key: 'inflight:caller', maxInFlight: 1, ttlMs: 600 };
    assert.equal((await store.acquireSlot({ ...request, slotId: 'one' })).acquired, true);

    await sleep(400);
    await store.refreshSlots([{ key: request.key, slotId: 'one' }], request.ttlMs);
    await sleep(400);
    assert.equal((await store.acquireSlot({ ...request, slotId: 'two' })).acquired, false);

    await store.releaseSlot({ key: request.key, slotId: 'one' });
    assert.equal((await store.acquireSlot({ ...request, slotId: 'two' })).acquired, true);
  });
});

describe('store failure', () => {
  test('memory fallback and recovery', async () => {
    const limiter = await redisLimiter({ RATE_LIMIT_READ_MAX: '3' });
    const read = () => limiter.admit({ principal: ANONYMOUS, clientIp: '192.0.2.9', databaseId: null }, limiter.costs.base('read'));
    assert.equal((await read()).admitted, true);
    assert.equal(limiter.storeStatus(), 'redis');

    await redis.stop();
    try {
      // The memory fallback starts empty, so it admits the full budget again.
      const during = [];
      for (let index = 0; index < 4; index += 1) during.push((await read()).admitted);
      assert.deepEqual(during, [true, true, true, false]);
      assert.equal(limiter.storeStatus(), 'degraded');
      assert.ok(limiter.storeErrorCount() >= 1);
    } finally {
      await redis.restart();
    }

    let status = limiter.storeStatus();
    for (let attempt = 0; attempt < 100 && status !== 'redis'; attempt += 1) {
      await sleep(100);
      await read();
      status = limiter.storeStatus();
    }
    assert.equal(status, 'redis', 'the limiter returns to Redis once it answers');
  });

  test('closed policy answers 503', async () => {
    const limiter = await redisLimiter({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_STORE_FAILURE: 'closed' });
    await assert.rejects(
      limiter.admit({ principal: apiKey, clientIp: '192.0.2.9', databaseId: null }, limiter.costs.base('read')),
      { code: 'DUCKLING_RATE_LIMIT_STORE_UNAVAILABLE', statusCode: 503 },
    );
    assert.equal(limiter.storeStatus(), 'degraded');
  });

  test('open policy admits everything', async () => {
    const limiter = await redisLimiter({ REDIS_URL: 'redis://127.0.0.1:1', RATE_LIMIT_STORE_FAILURE: 'open', RATE_LIMIT_READ_MAX: '1' });
    for (let index = 0; index < 3; index += 1) {
      const admission = await limiter.admit({ principal: ANONYMOUS, clientIp: '192.0.2.9', databaseId: null }, limiter.costs.base('read'));
      assert.equal(admission.admitted, true);
      assert.equal(admission.rate?.remaining, 1);
    }
  });

  test('slow Redis is a store failure', async () => {
    const limiter = await redisLimiter({ RATE_LIMIT_STORE_TIMEOUT_MS: '100', RATE_LIMIT_STORE_FAILURE: 'closed' });
    const blocker = new Redis(redis.url);
    closers.push(async () => blocker.disconnect());
    const stalled = blocker.call('DEBUG', 'SLEEP', '0.5');
    await sleep(50);

    await assert.rejects(
      limiter.admit({ principal: apiKey, clientIp: '192.0.2.9', databaseId: null }, limiter.costs.base('read')),
      { code: 'DUCKLING_RATE_LIMIT_STORE_UNAVAILABLE' },
    );
    await stalled;
  });
});
