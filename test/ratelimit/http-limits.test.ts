import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { readJson, startDuckling, TEST_API_KEY, TEST_PREVIOUS_KEY, type RunningDuckling } from '../harness/duckling.js';

// End-to-end limits on a real server. Budgets are small so each test sends few requests; the
// API-key tier multiplies them by 5.
let source: TestSource;
before(async () => {
  source = await testSource();
});

async function start(env: Record<string, string>): Promise<RunningDuckling> {
  return startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), ...env });
}

/** Sends `count` requests and returns their status codes. */
async function statuses(count: number, send: (index: number) => Promise<Response>): Promise<number[]> {
  const codes: number[] = [];
  for (let index = 0; index < count; index += 1) {
    const response = await send(index);
    await response.arrayBuffer();
    codes.push(response.status);
  }
  return codes;
}

const anonymous = (server: RunningDuckling, path: string, headers: Record<string, string> = {}) => fetch(`${server.url}${path}`, { headers });
const withKey = (server: RunningDuckling, path: string, key: string, init: RequestInit = {}) =>
  fetch(`${server.url}${path}`, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });
const query = (server: RunningDuckling, sql: string) =>
  withKey(server, '/api/query', TEST_API_KEY, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ sql }) });
const count = (codes: number[], status: number) => codes.filter((code) => code === status).length;

describe('category budgets', () => {
  let server: RunningDuckling;
  before(async () => {
    server = await start({
      RATE_LIMIT_READ_MAX: '4',
      RATE_LIMIT_WRITE_MAX: '2',
      RATE_LIMIT_QUERY_MAX: '2',
      RATE_LIMIT_MONITORING_MAX: '3',
    });
  });
  after(async () => {
    await server?.stop();
  });

  test('anonymous monitoring blocks after 3', async () => {
    const codes = await statuses(4, () => anonymous(server, '/health/ready'));
    assert.deepEqual(codes, [200, 200, 200, 429]);

    const response = await anonymous(server, '/health');
    const body = await readJson(response);
    assert.equal(response.status, 429);
    assert.equal(body.code, 'DUCKLING_RATE_LIMITED');
    assert.equal(body.tier, 'anonymous');
    assert.equal(body.category, 'monitoring');
    assert.equal(body.limit, 3);
    assert.equal(response.headers.get('retry-after'), String(body.retryAfter));
    assert.equal(response.headers.get('ratelimit-policy'), '"monitoring";q=3;w=60');
  });

  test('API key reads block after 20', async () => {
    const codes = await statuses(22, () => withKey(server, '/api/tables', TEST_API_KEY));
    assert.equal(count(codes, 200), 20);
    assert.deepEqual(codes.slice(20), [429, 429]);
  });

  test('API key writes cost 3', async () => {
    // 2 × 5 = 10 units: three writes of 3 fit, the fourth does not.
    const codes = await statuses(4, () => withKey(server, '/api/automation/stop', TEST_API_KEY, { method: 'POST' }));
    assert.deepEqual(codes, [200, 200, 200, 429]);
  });

  test('API key query cost by length', async () => {
    const longSql = `SELECT '${'x'.repeat(5_000)}' AS padding`;
    const first = await query(server, longSql);
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-cost'), '3');
    assert.equal(first.headers.get('x-ratelimit-remaining'), '7');
    assert.equal(first.headers.get('x-ratelimit-query-concurrency-limit'), '12');
    assert.equal(first.headers.get('x-ratelimit-query-concurrency-in-flight'), '1');
    await first.arrayBuffer();

    const codes = await statuses(3, () => query(server, longSql));
    assert.deepEqual(codes, [200, 200, 429]);
    assert.deepEqual(await statuses(2, () => query(server, 'SELECT 1')), [200, 429]);
  });

  test('headers on allowed response', async () => {
    const response = await withKey(server, '/api/tables/counts/all', TEST_PREVIOUS_KEY);
    await response.arrayBuffer();
    // Every key from this address shares the read bucket, which the test above emptied.
    assert.equal(response.status, 429);

    const health = await withKey(server, '/status', TEST_API_KEY);
    await health.arrayBuffer();
    assert.equal(health.status, 200);
    assert.equal(health.headers.get('ratelimit-policy'), '"monitoring";q=15;w=60');
    assert.match(health.headers.get('ratelimit') ?? '', /^"monitoring";r=\d+;t=\d+$/);
    assert.equal(health.headers.get('x-ratelimit-limit'), '15');
    assert.equal(health.headers.get('x-ratelimit-cost'), '1');
    assert.match(health.headers.get('x-ratelimit-reset') ?? '', /^\d{10}$/);
  });

  test('admin health shows limiter state', async () => {
    const body = await readJson(await withKey(server, '/health', TEST_API_KEY));
    assert.equal(body.rateLimitStore, 'memory');
    assert.equal(body.rateLimit.mode, 'enforce');
    const blocked = body.rateLimit.decisions.find(
      (entry: { category: string; tier: string; outcome: string }) => entry.category === 'read' && entry.tier === 'apiKey' && entry.outcome === 'blocked',
    );
    assert.ok(blocked?.count >= 2, 'blocked reads are counted');
  });

  test('API key monitoring blocks after 15', async () => {
    // 3 × 5 units, of which the two tests above spent two (`/status` and `/health`).
    const codes = await statuses(14, () => withKey(server, '/status', TEST_API_KEY));
    assert.equal(count(codes, 200), 13);
    assert.equal(codes[13], 429);
  });
});

describe('database scope', () => {
  for (const dbScope of [true, false]) {
    test(`db scope ${dbScope ? 'on separates' : 'off shares'} databases`, async () => {
      const server = await start({ RATE_LIMIT_INCLUDE_DB_SCOPE: String(dbScope), RATE_LIMIT_READ_MAX: '1' });
      try {
        const created = await withKey(server, '/api/databases', TEST_API_KEY, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ name: 'Second', mysqlConnectionString: source.url('sakila') }),
        });
        const id = (await readJson(created)).database.id as string;

        // 1 read × 5 for an API key per bucket.
        const first = await statuses(6, () => withKey(server, '/api/tables', TEST_API_KEY));
        const second = await statuses(1, () => withKey(server, `/api/tables?db=${id}`, TEST_API_KEY));
        assert.equal(count(first, 200), 5);
        assert.deepEqual(second, [dbScope ? 200 : 429]);
      } finally {
        await server.stop();
      }
    });
  }
});

test('budget recovers after the window', async () => {
  const server = await start({ RATE_LIMIT_READ_MAX: '1', RATE_LIMIT_READ_WINDOW_MS: '1000' });
  try {
    const first = await statuses(6, () => withKey(server, '/api/tables', TEST_API_KEY));
    assert.deepEqual(first, [200, 200, 200, 200, 200, 429]);
    // After two windows both counts have expired.
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    const second = await statuses(6, () => withKey(server, '/api/tables', TEST_API_KEY));
    assert.deepEqual(second, [200, 200, 200, 200, 200, 429]);
  } finally {
    await server.stop();
  }
});

test('untrusted X-Forwarded-For is ignored', async () => {
  const server = await start({ TRUST_PROXY: 'false', RATE_LIMIT_MONITORING_MAX: '2' });
  try {
    const codes = await statuses(3, (index) => anonymous(server, '/health/ready', { 'x-forwarded-for': `198.51.100.${index + 1}` }));
    assert.deepEqual(codes, [200, 200, 429]);
  } finally {
    await server.stop();
  }
});

describe('trusted proxy', () => {
  let server: RunningDuckling;
  before(async () => {
    server = await start({ TRUST_PROXY: '127.0.0.1', RATE_LIMIT_MONITORING_MAX: '40' });
  });
  after(async () => {
    await server?.stop();
  });

  test('forwarded addresses get own budgets', async () => {
    const spread = await statuses(45, (index) => anonymous(server, '/health/ready', { 'x-forwarded-for': `198.51.100.${index + 1}` }));
    assert.equal(count(spread, 200), 45);
    const same = await statuses(41, () => anonymous(server, '/health/ready', { 'x-forwarded-for': '203.0.113.77' }));
    assert.equal(count(same, 200), 40);
    assert.equal(same[40], 429);
  });

  test('event stream opening is charged', async () => {
    const controller = new AbortController();
    const response = await withKey(server, '/api/sync/events', TEST_API_KEY, { signal: controller.signal });
    try {
      assert.equal(response.status, 200);
      assert.equal(response.headers.get('content-type'), 'text/event-stream; charset=utf-8');
      assert.match(response.headers.get('ratelimit-policy') ?? '', /^"read";q=\d+;w=60$/);
      assert.equal(response.headers.get('x-ratelimit-cost'), '1');
    } finally {
      controller.abort();
    }
  });

  test('50 addresses in one /64 share', async () => {
    const codes = await statuses(50, (index) =>
      anonymous(server, '/health/ready', { 'x-forwarded-for': `2001:db8:0:7:${(index + 1).toString(16)}::${index + 1}` }),
    );
    assert.equal(count(codes, 200), 40);
    assert.equal(count(codes, 429), 10);

    const otherPrefix = await anonymous(server, '/health/ready', { 'x-forwarded-for': '2001:db8:0:8::1' });
    assert.equal(otherPrefix.status, 200);
  });
});

describe('key scope', () => {
  for (const sessionScope of [true, false]) {
    test(`session scope ${sessionScope ? 'separates' : 'off shares'} keys`, async () => {
      const server = await start({ RATE_LIMIT_USE_SESSION_SCOPE: String(sessionScope), RATE_LIMIT_READ_MAX: '1' });
      try {
        const current = await statuses(6, () => withKey(server, '/api/tables', TEST_API_KEY));
        const previous = await statuses(1, () => withKey(server, '/api/tables', TEST_PREVIOUS_KEY));
        assert.equal(count(current, 200), 5);
        assert.deepEqual(previous, [sessionScope ? 200 : 429]);
      } finally {
        await server.stop();
      }
    });
  }
});
