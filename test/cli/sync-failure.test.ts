import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startDuckling, TEST_API_KEY } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { runCli } from './run-cli.js';

test('sync exits 1 when a table fails', async (t) => {
  const source = await testSource();
  const schema = await source.createSchema('cli_fail');
  const connection = await source.connect(schema);
  try {
    // Duckling reserves the __duckling_ prefix for its staging tables, so this table fails its load.
    await connection.query('CREATE TABLE good (id INT PRIMARY KEY); INSERT INTO good VALUES (1), (2);');
    await connection.query('CREATE TABLE __duckling_bad (id INT PRIMARY KEY); INSERT INTO __duckling_bad VALUES (1);');
  } finally {
    await connection.end();
  }

  const server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) });
  t.after(() => server.stop());

  const run = await runCli(['sync'], { env: { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stdout, /^__duckling_bad\s+error\s/m);
  assert.match(run.stdout, /^good\s+success\s+2\s/m);
  assert.match(run.stdout, /1 succeeded, 1 failed, 0 skipped/);
  assert.match(run.stderr, /1 of 2 tables failed: __duckling_bad/);
});

test('sync names an unreachable source', async (t) => {
  // Port 9 (discard) has no listener on loopback, so the source refuses every connection.
  const server = await startDuckling({ MYSQL_CONNECTION_STRING: 'mysql://reader:secret-pw@127.0.0.1:9/shop' });
  t.after(() => server.stop());

  const run = await runCli(['sync'], { env: { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY } });
  assert.equal(run.code, 1, run.stderr);
  assert.match(run.stderr, /127\.0\.0\.1:9.*\(DUCKLING_SOURCE_UNAVAILABLE, HTTP 502\)/);
  assert.doesNotMatch(run.stderr + run.stdout, /secret-pw/);
  assert.doesNotMatch(run.stdout, /\(run\)/);

  // An asynchronous run that cannot start gets the same error as a synchronous one, not 202.
  const started = await server.request('/api/sync/full?async=true', { method: 'POST' });
  assert.equal(started.status, 502);
  assert.equal(((await started.json()) as { code: string }).code, 'DUCKLING_SOURCE_UNAVAILABLE');

  const status = await runCli(['status'], { env: { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY } });
  assert.equal(status.code, 0, status.stderr);
  assert.match(status.stdout, /^default\s+default\s+down\s/m);
});
