import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Connection } from 'mysql2/promise';
import { startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { runCli } from './run-cli.js';

let server: RunningDuckling;
let admin: Connection;

function serverEnv(): Record<string, string> {
  return { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };
}

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('backup_cli');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20));
    INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_250;
  `);
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema), AUTO_BACKUP: 'false' });
  const response = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(response.status, 200, await response.text());
});

after(async () => {
  await server?.stop();
  await admin?.end();
});

test('backup prints name and summary', async () => {
  const run = await runCli(['backup'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^backup written backup-default-\S+Z$/m);
  assert.match(run.stdout, /^\s+tables\s+1 \(250 rows\)$/m);
  assert.match(run.stderr, /Backing up database "default"/);
});

test('backup all covers every database', async () => {
  const run = await runCli(['backup', '--all', '--json'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as { databaseId: string; name: string });
  assert.deepEqual(lines.map((line) => line.databaseId), ['default']);
  assert.match(lines[0]!.name, /^backup-default-/);
});

test('backup list shows status', async () => {
  const run = await runCli(['backup', 'list'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^Name\s+Location\s+Status\s+Size\s+Tables\s+Rows\s+Encryption$/m);
  assert.match(run.stdout, /^backup-default-\S+\s+local\s+complete\s+\S+ \S+\s+1\s+250\s+none$/m);
});

test('restore needs confirmation without terminal', async () => {
  const run = await runCli(['restore', '--latest'], { env: serverEnv() });
  assert.equal(run.code, 2, run.stderr + run.stdout);
  assert.match(run.stderr, /add --yes/);
});

test('restore rejects conflicting choices', async () => {
  const run = await runCli(['restore', '--latest', '--name', 'x', '--yes'], { env: serverEnv() });
  assert.equal(run.code, 2);
  assert.match(run.stderr, /exactly one of --name \(local\), --key \(s3\) or --latest/);
});

test('restore latest prints each check', async () => {
  await admin.query(`INSERT INTO items SELECT seq, 'later' FROM seq_251_to_300`);
  assert.equal((await server.request('/api/sync/full', { method: 'POST' })).status, 200);

  const run = await runCli(['restore', '--latest', '--yes'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  for (const stage of ['download', 'size', 'sha256', 'identity', 'open', 'tables']) {
    assert.match(run.stdout, new RegExp(`^ok\\s+${stage}\\s`, 'm'), stage);
  }
  assert.match(run.stdout, /^restored database "default" from backup-default-\S+ in .+: 1 tables, 250 rows$/m);
  const count = await (await server.request('/api/tables/items/count')).json();
  assert.deepEqual(count, { count: 250 });
});

test('restore of bad name exits 1', async () => {
  const run = await runCli(['restore', '--name', 'backup-default-nope', '--yes'], { env: serverEnv() });
  assert.equal(run.code, 1, run.stderr + run.stdout);
  assert.match(run.stderr, /Invalid backup name "backup-default-nope"/);
});
