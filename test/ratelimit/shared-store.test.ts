import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
// @ts-expect-error plain JavaScript module shared with the demo and benchmark scripts
import { freePort } from '../../scripts/lib/private-mariadb.mjs';
import { startCli } from '../cli/run-cli.js';
import { readJson, startDuckling } from '../harness/duckling.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { sleep, startPrivateRedis, type PrivateRedis } from '../harness/redis.js';

let source: TestSource;
let redis: PrivateRedis;
before(async () => {
  source = await testSource();
  redis = await startPrivateRedis();
});
after(async () => {
  await redis?.stop();
});

/** Polls `/health/ready` until it returns 200, for about 60 s at most or until the server exits. */
async function waitUntilReady(url: string, child: { exitCode: number | null }): Promise<boolean> {
  for (let attempt = 0; attempt < 600 && child.exitCode === null; attempt += 1) {
    const response = await fetch(`${url}/health/ready`).catch(() => null);
    if (response?.status === 200) return true;
    await sleep(100);
  }
  return false;
}

test('two processes share one budget', async (t) => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-shared-limit-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const apiKey = randomBytes(32).toString('hex');
  // 100 reads × 5 for an API key: 500 admitted in total across both processes.
  const quota = 500;

  const urls: string[] = [];
  for (const name of ['first', 'second']) {
    const port = (await freePort()) as number;
    const child = startCli(['serve', '--port', String(port), '--host', '127.0.0.1'], {
      cwd: directory,
      env: {
        DATA_PATH: path.join(directory, name),
        DUCKLING_API_KEY: apiKey,
        ADMIN_USERNAME: 'admin',
        ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
        SESSION_SECRET: randomBytes(32).toString('hex'),
        MYSQL_CONNECTION_STRING: source.url('sakila'),
        AUTO_START_SYNC: 'false',
        DUCKDB_MEMORY_LIMIT: '256MB',
        DUCKDB_THREADS: '1',
        REDIS_URL: redis.url,
        RATE_LIMIT_READ_MAX: '100',
        LOG_LEVEL: 'warn',
      },
    });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    t.after(() => {
      if (child.exitCode === null) child.kill('SIGKILL');
    });
    const url = `http://127.0.0.1:${port}`;
    assert.ok(await waitUntilReady(url, child), `the ${name} server became ready; output:\n${output}`);
    urls.push(url);
  }

  // Four concurrent clients per process, 800 requests in all.
  let admitted = 0;
  let limited = 0;
  const client = async (url: string): Promise<void> => {
    for (let index = 0; index < 100; index += 1) {
      const response = await fetch(`${url}/api/tables`, { headers: { authorization: `Bearer ${apiKey}` } });
      await response.arrayBuffer();
      if (response.status === 200) admitted += 1;
      else if (response.status === 429) limited += 1;
    }
  };
  await Promise.all(urls.flatMap((url) => [client(url), client(url), client(url), client(url)]));

  assert.equal(admitted + limited, 800, 'every response is 200 or 429');
  assert.ok(Math.abs(admitted - quota) <= quota * 0.05, `admitted ${admitted} of a shared quota of ${quota}`);
});

test('Redis stopped mid-test falls back', async () => {
  const server = await startDuckling({
    MYSQL_CONNECTION_STRING: source.url('sakila'),
    REDIS_URL: redis.url,
    // Its own prefix, so the budget the test above spent does not count here.
    RATE_LIMIT_REDIS_PREFIX: 'fallback-test:',
    RATE_LIMIT_READ_MAX: '2',
  });
  try {
    const before = await readJson(await server.request('/health'));
    assert.equal(before.rateLimitStore, 'redis');
    assert.equal((await server.request('/api/tables')).status, 200);

    await redis.stop();
    try {
      // The per-process memory store takes over with a fresh budget of 2 × 5.
      const codes: number[] = [];
      for (let index = 0; index < 11; index += 1) codes.push((await server.request('/api/tables')).status);
      assert.deepEqual(codes.slice(0, 10), new Array(10).fill(200));
      assert.equal(codes[10], 429);

      const during = await readJson(await server.request('/health'));
      assert.equal(during.rateLimitStore, 'degraded');
      assert.ok(during.rateLimit.storeErrors >= 1);
    } finally {
      await redis.restart();
    }
  } finally {
    await server.stop();
  }
});

