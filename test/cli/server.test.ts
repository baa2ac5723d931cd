import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { runCli } from './run-cli.js';

const SAKILA_TABLE_COUNT = 16;
const apiKey = TEST_API_KEY;
let server: RunningDuckling;
let url: string;

/** Environment of a CLI run against the test server. */
function serverEnv(key: string | null = apiKey): Record<string, string> {
  return { DUCKLING_URL: url, ...(key === null ? {} : { DUCKLING_API_KEY: key }) };
}

before(async () => {
  const source = await testSource();
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila'), DUCKDB_MEMORY_LIMIT: '1GB' });
  url = server.url;
});

after(async () => {
  await server?.stop();
});

test('sync prints JSON-lines progress off a TTY', async () => {
  const run = await runCli(['sync'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);

  const progressLines = run.stderr.trim().split('\n').map((line) => JSON.parse(line) as { type: string; progress: { runId: string; tables: unknown[] } });
  assert.ok(progressLines.length > 0, 'at least one progress line');
  assert.ok(progressLines.every((line) => line.type === 'progress'));
  assert.match(run.stdout, /^actor\s+success\s+200\s/m);
  assert.match(run.stdout, new RegExp(`${SAKILA_TABLE_COUNT} succeeded, 0 failed, 0 skipped, 47,273 rows`));
});

test('sync --json ends with a summary line', async () => {
  const run = await runCli(['sync', '--json'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);

  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const summary = lines.at(-1) as { type: string; failedTables: number; tables: Array<{ table: string; recordsProcessed: number }> };
  assert.equal(summary.type, 'summary');
  assert.equal(summary.failedTables, 0);
  assert.equal(summary.tables.length, SAKILA_TABLE_COUNT);
  assert.equal(summary.tables.find((row) => row.table === 'rental')?.recordsProcessed, 16044);
  assert.ok(lines.slice(0, -1).every((line) => line.type === 'progress'));
});

test('sync --table runs one table', async () => {
  const run = await runCli(['sync', '--table', 'language'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^language\s+success\s+6\s/m);
});

test('sync --table unknown exits 1', async () => {
  const run = await runCli(['sync', '--table', 'no_such_table'], { env: serverEnv() });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /DUCKLING_TABLE_NOT_FOUND/);
});

test('query prints an aligned table', async () => {
  const sql = 'SELECT actor_id, first_name FROM actor ORDER BY actor_id LIMIT 2';
  const run = await runCli(['query', sql], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);

  const lines = run.stdout.trimEnd().split('\n');
  assert.match(lines[0]!, /^actor_id\s+first_name$/);
  assert.match(lines[1]!, /^-{8}\s+-{10}$/);
  assert.match(lines[2]!, /^\s+1\s+PENELOPE$/);
  assert.match(lines[3]!, /^\s+2\s+NICK$/);
  assert.match(lines[4]!, /^2 rows in \d+ ms$/);
});

test('query --max-rows reports truncation', async () => {
  const run = await runCli(['query', 'SELECT actor_id FROM actor', '--max-rows', '3'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /3 rows in \d+ ms \(truncated/);
});

test('query --format csv prints the body', async () => {
  const sql = "SELECT NULL AS a, '' AS b, 'x,y' AS c, 12.50::DECIMAL(5,2) AS d";
  const run = await runCli(['query', sql, '--format', 'csv'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(run.stdout.split(/\r?\n/), ['a,b,c,d', ',"","x,y",12.50', '']);

  const response = await fetch(`${url}/api/query`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ sql, format: 'csv' }),
  });
  assert.equal(run.stdout, await response.text());
});

test('query --format ndjson prints the body', async () => {
  const run = await runCli(['query', 'SELECT 1 AS one', '--format', 'ndjson'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as unknown);
  assert.deepEqual(lines[0], { type: 'meta', columns: [{ name: 'one', type: 'INTEGER' }] });
  assert.deepEqual(lines[1], [1]);
  assert.equal((lines[2] as { type: string }).type, 'end');
});

test('query --json ends with a newline', async () => {
  const run = await runCli(['query', 'SELECT 1 AS one', '--json'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.ok(run.stdout.endsWith('}\n'), JSON.stringify(run.stdout.slice(-20)));
  assert.equal((JSON.parse(run.stdout) as { rowCount: number }).rowCount, 1);
});

test('query with invalid SQL exits 1', async () => {
  const run = await runCli(['query', 'SELEKT 1'], { env: serverEnv() });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /DUCKLING_QUERY_INVALID, HTTP 400/);
});

test('wrong key exits 1', async () => {
  const run = await runCli(['query', 'SELECT 1'], { env: serverEnv('0'.repeat(64)) });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /DUCKLING_AUTH_INVALID, HTTP 401/);
});

test('missing key explains where to set it', async () => {
  const run = await runCli(['status'], { env: serverEnv(null) });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /No API key was sent: set DUCKLING_API_KEY/);
});

test('status lists the database', async () => {
  const run = await runCli(['status'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^default\s+default\s+up\s+16\s+16\s+16\s+0\s/m);

  const json = await runCli(['status', '--json'], { env: serverEnv() });
  const body = JSON.parse(json.stdout) as { databases: Array<{ databaseId: string; source: string; tables: { duckdb: number } }> };
  assert.equal(body.databases[0]?.databaseId, 'default');
  assert.equal(body.databases[0]?.source, 'up');
  assert.equal(body.databases[0]?.tables.duckdb, SAKILA_TABLE_COUNT);
});

test('sync --no-wait prints the run id', async () => {
  const run = await runCli(['sync', '--no-wait', '--json'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  const { runId } = JSON.parse(run.stdout) as { runId: string };
  assert.ok(runId.length > 0);

  // Waits for the background run so the server stops with nothing running.
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const progress = (await (await fetch(`${url}/api/sync/progress`, { headers: { authorization: `Bearer ${apiKey}` } })).json()) as { inProgress: boolean };
    if (!progress.inProgress) break;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});
