import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { RedisRevocationList } from '../../src/auth/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { postJson, readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { startPrivateRedis, type PrivateRedis } from '../harness/redis.js';
import { login, send } from './auth-helpers.js';

let redis: PrivateRedis;
let first: RunningDuckling;
let second: RunningDuckling;
let inspector: Redis;

before(async () => {
  redis = await startPrivateRedis();
  inspector = new Redis(redis.url);
  // The last test stops Redis; the inspector's reconnect errors are expected then.
  inspector.on('error', () => undefined);
  const source = await testSource();
  const schema = await source.createSchema('auth_redis');
  const connection = await source.connect(schema);
  try {
    await connection.query('CREATE TABLE items (id INT PRIMARY KEY)');
  } finally {
    await connection.end();
  }
  first = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema), REDIS_URL: redis.url });
  second = await startDuckling({ MYSQL_CONNECTION_STRING: '', REDIS_URL: redis.url });
});

after(async () => {
  inspector?.disconnect();
  await first?.stop();
  await second?.stop();
  await redis?.stop();
});

describe('with Redis', () => {
  test('ticket is kept in Redis', async () => {
    const ticket = (await readJson(await postJson(first, '/api/tickets', { purpose: 'sse' }))).ticket as string;
    const keys = await inspector.keys('duckling:ticket:*');
    assert.equal(keys.length, 1);
    assert.ok(!keys[0]!.includes(ticket), 'Redis holds a digest, not the ticket');

    const connection = new AbortController();
    const opened = await fetch(`${first.url}/api/sync/events?db=default&ticket=${ticket}`, { signal: connection.signal });
    assert.equal(opened.status, 200);
    connection.abort();
    assert.equal((await inspector.keys('duckling:ticket:*')).length, 0);
    assert.equal((await send(first, 'GET', `/api/sync/events?db=default&ticket=${ticket}`)).status, 401, 'reused');
  });

  test('logout reaches the other instance', async () => {
    const { token } = await login(first);
    assert.equal((await send(second, 'GET', '/api/me', { authorization: `Bearer ${token}` })).status, 200);
    await send(first, 'POST', '/api/logout', { authorization: `Bearer ${token}` });
    assert.equal(await inspector.zcard('duckling:revoked-tokens'), 1);

    // The other instance reloads the list every 5 s; poll up to 12 s.
    let status = 200;
    for (let attempt = 0; attempt < 120 && status === 200; attempt++) {
      status = (await send(second, 'GET', '/api/me', { authorization: `Bearer ${token}` })).status;
      if (status === 200) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(status, 401);
  });

  test('stopped Redis gets 503', async () => {
    await redis.stop();

    const issued = await postJson(first, '/api/tickets', { purpose: 'sse' });
    const body = await readJson(issued);
    assert.equal(issued.status, 503);
    assert.equal(body.code, 'DUCKLING_STORE_UNAVAILABLE');
    assert.match(body.message, /ticket store/);

    const redeemed = await send(first, 'GET', `/api/sync/events?db=default&ticket=${'A'.repeat(43)}`);
    assert.equal(redeemed.status, 503);
    assert.equal((await send(first, 'GET', '/status', { authorization: `Bearer ${TEST_API_KEY}` })).status, 200, 'API keys keep working');
  });
});

describe('RedisRevocationList', () => {
  test('prunes, then fails closed', async () => {
    const local = await startPrivateRedis();
    const client = new Redis(local.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 200 });
    client.on('error', () => undefined);
    let nowMs = Date.now();
    if (client.status !== 'ready') await once(client, 'ready');
    await client.zadd('test:revoked-tokens', Math.floor(nowMs / 1000) - 60, 'long-expired');
    const list = await RedisRevocationList.start(client, 'test:', silentLogger(), () => nowMs);
    try {
      assert.equal(await client.zscore('test:revoked-tokens', 'long-expired'), null, 'expired entries are pruned');

      await list.revoke('jti-1', Math.floor(nowMs / 1000) + 3600);
      assert.equal(await list.isRevoked('jti-1'), true);

      await local.stop();
      nowMs += 20_000;
      assert.equal(await list.isRevoked('jti-1'), true, 'the local copy answers for 30 s');
      nowMs += 11_000;
      await assert.rejects(list.isRevoked('jti-1'), { code: 'DUCKLING_STORE_UNAVAILABLE' });
    } finally {
      await list.close();
      client.disconnect();
      await local.stop();
    }
  });
});
