import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { ANONYMOUS, type Principal } from '../../src/auth/index.js';
import '../../src/http/fastify-types.js';
import { errorHandlerPlugin } from '../../src/http/plugins/error-handler.js';
import { rateLimitPlugin } from '../../src/http/plugins/rate-limit.js';
import type { RateLimiter } from '../../src/ratelimit/index.js';
import { createTestLimiter, type TestClock } from './helpers.js';

const admin: Principal = { kind: 'admin', tier: 'jwt', username: 'admin', authMethod: 'jwt', jti: 'token-1', expiresAt: new Date(0) };
const apiKey: Principal = { kind: 'apiKey', tier: 'apiKey', keyFingerprint: 'abcdef012345', key: 'current' };

const TEST_PRINCIPALS: Record<string, Principal> = { admin, key: apiKey };

let app: FastifyInstance | null = null;
let limiter: RateLimiter | null = null;
afterEach(async () => {
  await app?.close();
  await limiter?.close();
  app = null;
  limiter = null;
});

/**
 * A Fastify app with the real error handler and rate-limit plugin. Stand-ins for the auth and
 * database plugins set the principal from the `x-test-principal` header (`admin`, `key` or none)
 * and the database from `?db=`.
 */
async function buildApp(env: Record<string, string> = {}): Promise<{ app: FastifyInstance; clock: TestClock }> {
  const created = await createTestLimiter(env);
  limiter = created.limiter;
  const instance = Fastify();
  await instance.register(errorHandlerPlugin, { hideInternalErrors: false, bodyLimitBytes: 1_000_000 });
  await instance.register(fastifyPlugin(async (scope) => {
    scope.decorateRequest('principal', null as never);
    scope.addHook('onRequest', async (request) => {
      const which = String(request.headers['x-test-principal']);
      request.principal = TEST_PRINCIPALS[which] ?? ANONYMOUS;
    });
  }, { name: 'duckling-auth' }));
  await instance.register(fastifyPlugin(async (scope) => {
    scope.decorateRequest('database', null);
    scope.addHook('onRequest', async (request) => {
      if (!request.routeOptions.config?.databaseScoped) return;
      const db = (request.query as { db?: string }).db ?? 'default';
      request.database = { id: db, name: db, excludedTables: [], replica: null, unavailableReason: null, source: null, sourceError: null };
    });
  }, { name: 'duckling-db-context' }));
  await instance.register(rateLimitPlugin, { limiter: created.limiter, now: created.clock.now });

  instance.get('/tables', { config: { category: 'read', databaseScoped: true } }, async () => ({ ok: true }));
  instance.get('/health', { config: { category: 'monitoring' } }, async () => ({ ok: true }));
  instance.post('/sync', { config: { category: 'write', databaseScoped: true } }, async () => ({ ok: true }));
  instance.post(
    '/query',
    {
      config: {
        category: 'query',
        databaseScoped: true,
        rateLimitCharge: (request, costs) => costs.query((request.body as { sql?: unknown }).sql),
      },
    },
    async () => ({ ok: true }),
  );
  instance.get('/docs', async () => ({ ok: true }));
  app = instance;
  return { app: instance, clock: created.clock };
}

/** Sends `count` requests and returns their status codes. */
async function statuses(instance: FastifyInstance, count: number, options: { method?: 'GET' | 'POST'; url: string; who?: string; body?: unknown }): Promise<number[]> {
  const codes: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await instance.inject({
      method: options.method ?? 'GET',
      url: options.url,
      headers: options.who ? { 'x-test-principal': options.who } : {},
      ...(options.body === undefined ? {} : { payload: options.body as object }),
    });
    codes.push(response.statusCode);
  }
  return codes;
}

const count = (codes: number[], status: number): number => codes.filter((code) => code === status).length;

describe('rate-limit plugin', () => {
  test('jwt read budget is doubled', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '5' });
    const codes = await statuses(instance, 12, { url: '/tables', who: 'admin' });
    assert.equal(count(codes, 200), 10);
    assert.deepEqual(codes.slice(10), [429, 429]);
  });

  test('jwt write costs 3', async () => {
    const { app: instance } = await buildApp();
    // 10 × 2 = 20 units; each write costs 3, so 6 pass.
    const codes = await statuses(instance, 8, { method: 'POST', url: '/sync', who: 'admin' });
    assert.deepEqual(codes, [200, 200, 200, 200, 200, 200, 429, 429]);
  });

  test('jwt query cost by SQL length', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_QUERY_MAX: '5' });
    // 10 units; 5,001 characters cost 3, so three long queries pass and the fourth needs 12.
    const codes = await statuses(instance, 4, { method: 'POST', url: '/query', who: 'admin', body: { sql: 'x'.repeat(5_001) } });
    assert.deepEqual(codes, [200, 200, 200, 429]);
    const short = await statuses(instance, 2, { method: 'POST', url: '/query', who: 'admin', body: { sql: 'SELECT 1' } });
    assert.deepEqual(short, [200, 429]);
  });

  test('headers on allowed response', async () => {
    const { app: instance, clock } = await buildApp({ RATE_LIMIT_READ_MAX: '4' });
    const response = await instance.inject({ url: '/tables', headers: { 'x-test-principal': 'admin' } });

    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['ratelimit-policy'], '"read";q=8;w=60');
    // The unit admitted at the window's start counts fully until the window ends and then decays
    // over the next one, so it is gone after two windows.
    assert.equal(response.headers.ratelimit, '"read";r=7;t=120');
    assert.equal(response.headers['x-ratelimit-limit'], '8');
    assert.equal(response.headers['x-ratelimit-remaining'], '7');
    assert.equal(response.headers['x-ratelimit-cost'], '1');
    assert.equal(response.headers['x-ratelimit-reset'], String(Math.ceil(clock.nowMs / 1000) + 120));
    assert.equal(response.headers['retry-after'], undefined);
  });

  test('429 body and headers', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '1' });
    await instance.inject({ url: '/tables' });
    const response = await instance.inject({ url: '/tables' });
    const body = response.json();

    assert.equal(response.statusCode, 429);
    assert.equal(body.code, 'DUCKLING_RATE_LIMITED');
    assert.equal(body.success, false);
    assert.equal(body.category, 'read');
    assert.equal(body.tier, 'anonymous');
    assert.equal(body.limit, 1);
    assert.equal(body.remaining, 0);
    assert.equal(body.cost, 1);
    assert.equal(body.retryAfter, 120);
    assert.equal(response.headers['retry-after'], '120');
    assert.equal(response.headers['x-ratelimit-remaining'], '0');
    assert.equal(response.headers.ratelimit, '"read";r=0;t=120');
  });

  test('recovers after the window', async () => {
    const { app: instance, clock } = await buildApp({ RATE_LIMIT_READ_MAX: '2', RATE_LIMIT_READ_WINDOW_MS: '1000' });
    assert.deepEqual(await statuses(instance, 3, { url: '/tables' }), [200, 200, 429]);
    clock.advance(2_000);
    assert.deepEqual(await statuses(instance, 3, { url: '/tables' }), [200, 200, 429]);
  });

  test('shadow mode marks instead of blocking', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_MODE: 'shadow', RATE_LIMIT_READ_MAX: '1' });
    await instance.inject({ url: '/tables' });
    const response = await instance.inject({ url: '/tables' });
    assert.equal(response.statusCode, 200);
    assert.equal(response.headers['x-ratelimit-shadow-would-block'], 'true');
    assert.equal(response.headers['x-ratelimit-remaining'], '0');
  });

  test('db scope separates databases', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '1' });
    assert.deepEqual(await statuses(instance, 2, { url: '/tables?db=one' }), [200, 429]);
    assert.deepEqual(await statuses(instance, 2, { url: '/tables?db=two' }), [200, 429]);
  });

  test('db scope off shares budget', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '1', RATE_LIMIT_INCLUDE_DB_SCOPE: 'false' });
    assert.deepEqual(await statuses(instance, 1, { url: '/tables?db=one' }), [200]);
    assert.deepEqual(await statuses(instance, 1, { url: '/tables?db=two' }), [429]);
  });

  test('categories have separate budgets', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '1', RATE_LIMIT_MONITORING_MAX: '1' });
    assert.deepEqual(await statuses(instance, 2, { url: '/tables' }), [200, 429]);
    assert.deepEqual(await statuses(instance, 2, { url: '/health' }), [200, 429]);
  });

  test('route without category is free', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '1', RATE_LIMIT_MONITORING_MAX: '1' });
    const response = await instance.inject({ url: '/docs' });
    assert.equal(response.headers['x-ratelimit-limit'], undefined);
    assert.deepEqual(await statuses(instance, 3, { url: '/docs' }), [200, 200, 200]);
  });

  test('query headers show in-flight', async () => {
    const { app: instance } = await buildApp();
    const response = await instance.inject({ method: 'POST', url: '/query', headers: { 'x-test-principal': 'key' }, payload: { sql: 'SELECT 1' } });
    assert.equal(response.headers['x-ratelimit-query-concurrency-limit'], '12');
    assert.equal(response.headers['x-ratelimit-query-concurrency-in-flight'], '1');
    assert.equal(limiter!.heldSlotCount, 0, 'the slot is released when the response ends');
  });

  test('decision counts by tier', async () => {
    const { app: instance } = await buildApp({ RATE_LIMIT_READ_MAX: '1' });
    await statuses(instance, 2, { url: '/tables', who: 'admin' });
    await statuses(instance, 3, { url: '/tables', who: 'admin' });
    assert.deepEqual(limiter!.decisionCounts(), [
      { category: 'read', tier: 'jwt', outcome: 'allowed', count: 2 },
      { category: 'read', tier: 'jwt', outcome: 'blocked', count: 3 },
    ]);
  });
});
