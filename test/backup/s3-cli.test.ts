import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Connection } from 'mysql2/promise';
import { startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { startTestS3, type TestS3 } from '../harness/s3.js';
import { runCli } from '../cli/run-cli.js';

let server: RunningDuckling;
let s3: TestS3;
let admin: Connection;

function serverEnv(): Record<string, string> {
  return { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };
}

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('s3_cli');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE items (id INT PRIMARY KEY, label VARCHAR(20));
    INSERT INTO items SELECT seq, CONCAT('item ', seq) FROM seq_1_to_120;
  `);
  s3 = await startTestS3();
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema), AUTO_BACKUP: 'false' });
  assert.equal((await server.request('/api/sync/full', { method: 'POST' })).status, 200);

  const settings = {
    bucket: s3.bucket,
    region: 'us-east-1',
    accessKeyId: s3.accessKeyId,
    secretAccessKey: s3.secretAccessKey,
    endpoint: s3.endpoint,
    forcePathStyle: true,
    encryption: 'client-aes256',
    encryptionKey: randomBytes(32).toString('hex'),
  };
  const saved = await server.request('/api/databases/default/s3', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings) });
  assert.equal(saved.status, 200, await saved.text());
});

after(async () => {
  await server?.stop();
  await s3?.stop();
  await admin?.end();
});

test('backup --s3 prints key', async () => {
  const run = await runCli(['backup', '--s3'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^backup uploaded default\/backup-default-\S+Z\.db\.enc$/m);
  assert.match(run.stdout, /^\s+manifest\s+default\/backup-default-\S+Z\.manifest\.json$/m);
  assert.match(run.stderr, /Backing up database "default" to S3/);
});

test('backup list shows S3 entry', async () => {
  const run = await runCli(['backup', 'list'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^backup-default-\S+\s+s3\s+complete\s+\S+ \S+\s+1\s+120\s+client-aes256$/m);
});

test('restore from s3 latest', async () => {
  await admin.query('INSERT INTO items VALUES (500, "later")');
  assert.equal((await server.request('/api/sync/full', { method: 'POST' })).status, 200);

  const run = await runCli(['restore', '--from', 's3', '--latest', '--yes'], { env: serverEnv() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  for (const stage of ['download', 'manifest_mac', 'hmac', 'decrypt', 'tables']) assert.match(run.stdout, new RegExp(`^ok\\s+${stage}\\s`, 'm'));
  assert.match(run.stdout, /^restored database "default" from backup-default-\S+ in .*: 1 tables, 120 rows$/m);

  const count = (await (await server.request('/api/tables/items/count')).json()) as { count: number };
  assert.equal(count.count, 120);
});
