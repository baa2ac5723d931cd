import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { runCli } from './run-cli.js';

let source: TestSource;
let schema: string;
let server: RunningDuckling;

function serverEnv(): Record<string, string> {
  return { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };
}

before(async () => {
  source = await testSource();
  schema = await source.createSchema('cli_mass_drop');
  const admin = await source.connect(schema);
  try {
    await admin.query(`CREATE TABLE keep_me (id INT PRIMARY KEY); INSERT INTO keep_me VALUES (1), (2);
      CREATE TABLE gone_a (id INT PRIMARY KEY); CREATE TABLE gone_b (id INT PRIMARY KEY);`);
  } finally {
    await admin.end();
  }
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) });
  const first = await runCli(['sync'], { env: serverEnv() });
  assert.equal(first.code, 0, first.stderr);

  // Two of the three replicated tables leave the source, so the next run would drop most of the replica.
  const dropper = await source.connect(schema);
  try {
    await dropper.query('DROP TABLE gone_a, gone_b');
  } finally {
    await dropper.end();
  }
});

after(() => server?.stop());

test('async run answers 422 on mass drop', async () => {
  const response = await server.request('/api/sync/incremental?async=true', { method: 'POST' });
  assert.equal(response.status, 422);
  assert.equal((await readJson(response)).code, 'DUCKLING_SYNC_UNSAFE');
});

test('sync prints the mass-drop code', async () => {
  const run = await runCli(['sync', '--incremental'], { env: serverEnv() });
  assert.equal(run.code, 1);
  assert.match(run.stderr, /would drop 2 of the replica's 3 tables.*\(DUCKLING_SYNC_UNSAFE, HTTP 422\)/);
});

test('--allow-mass-drop with --table is a usage error', async () => {
  const run = await runCli(['sync', '--table', 'keep_me', '--allow-mass-drop'], { env: serverEnv() });
  assert.equal(run.code, 2, run.stderr);
  assert.match(run.stderr, /--allow-mass-drop applies to whole-database runs only/);
});

test('--allow-mass-drop drops and shows schema changes', async () => {
  const run = await runCli(['sync', '--incremental', '--allow-mass-drop', '--json'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  const summary = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as { type: string; tables: Array<{ table: string; schemaChange: string | null }> };
  assert.equal(summary.type, 'summary');
  const changes = Object.fromEntries(summary.tables.map((row) => [row.table, row.schemaChange]));
  assert.equal(changes.gone_a, 'table dropped: missing from source');
  assert.equal(changes.gone_b, 'table dropped: missing from source');
  assert.equal(changes.keep_me, null);

  assert.deepEqual(await readJson(await server.request('/api/tables')), ['keep_me']);
});

test('summary table has a schema change column', async () => {
  const admin = await source.connect(schema);
  try {
    await admin.query('ALTER TABLE keep_me ADD COLUMN note VARCHAR(10)');
  } finally {
    await admin.end();
  }
  const run = await runCli(['sync', '--incremental'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /^Table\s+Status\s+Rows\s+Duration\s+Schema change\s+Error/m);
  assert.match(run.stdout, /^keep_me\s+success\s.*note/m);
});
