import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createFixture, dropFixture, urlAs, type DiagnoseFixture } from '../diagnose/fixtures.js';
import { runCli } from './run-cli.js';

let fixture: DiagnoseFixture;
let dataPath: string;

function env(): Record<string, string> {
  // PORT 0 makes the port check independent of what else runs on this machine. The secrets pass
  // the startup security checks, which doctor runs too.
  return {
    DATA_PATH: dataPath,
    PORT: '0',
    HOST: '127.0.0.1',
    MYSQL_MAX_RETRIES: '0',
    SESSION_SECRET: 'f3a9c1e7b5d2084f6a1c3e5b7d9f0a2c4e6b8d0f1a3c5e7b',
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: 'doctor-test-password-81',
  };
}

before(async () => {
  fixture = await createFixture('doctor');
  dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-doctor-'));
  const now = new Date().toISOString();
  const record = (id: string, url: string) => ({ id, name: id, mysqlConnectionString: url, duckdbPath: `${id}.db`, createdAt: now, updatedAt: now });
  await writeFile(
    path.join(dataPath, 'databases.json'),
    JSON.stringify([
      record('good', fixture.source.url(fixture.schema)),
      record('denied', urlAs(fixture, fixture.selectOnly.user, 'wrong-password')),
    ]),
  );
});

after(async () => {
  await dropFixture(fixture);
  if (dataPath) await rm(dataPath, { recursive: true, force: true });
});

test('doctor passes with warnings', async () => {
  const run = await runCli(['doctor', '--db', 'good'], { env: env() });
  assert.equal(run.code, 0, run.stderr + run.stdout);
  assert.match(run.stdout, /^pass {2}Settings: settings from the environment are valid$/m);
  assert.match(run.stdout, /^Database good: warn$/m);
  assert.match(run.stdout, /^pass {2}Binlog format: binlog_format ROW$/m);
  assert.match(run.stdout, /^warn {2}Table logs: .*no primary key/m);
  assert.match(run.stdout, /^warn {2}Replica file: .*good\.db does not exist yet\n {6}fix: run "duckling sync"/m);
});

test('doctor all exits 1', async () => {
  const run = await runCli(['doctor', '--all', '--json'], { env: env() });
  assert.equal(run.code, 1, run.stderr + run.stdout);
  const report = JSON.parse(run.stdout.trim().split('\n')[0]!);
  assert.equal(report.success, false);
  assert.deepEqual(report.databases.map((entry: { id: string; status: string }) => [entry.id, entry.status]), [['good', 'warn'], ['denied', 'fail']]);
  const denied = report.databases[1].checks.find((entry: { id: string }) => entry.id === 'connection');
  assert.equal(denied.status, 'fail');
  assert.match(denied.detail, /unavailable/);
});

test('doctor fails on fatal security finding', async () => {
  const run = await runCli(['doctor', '--db', 'good'], { env: { ...env(), SESSION_SECRET: '' } });
  assert.equal(run.code, 1, run.stderr + run.stdout);
  assert.match(run.stdout, /^FAIL {2}Security: SESSION_SECRET is not set\n {6}fix: generate one with "duckling gen-key"/m);
  assert.match(run.stdout, /^warn {2}Security: DUCKLING_API_KEY is not set/m);
});

test('doctor bad settings', async () => {
  const run = await runCli(['doctor'], { env: { ...env(), PORT: 'abc' } });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /^FAIL {2}Settings: PORT="abc" is invalid/m);
  assert.match(run.stderr, /doctor found failed checks/);
});

test('doctor unknown database', async () => {
  const run = await runCli(['doctor', '--db', 'missing'], { env: env() });
  assert.equal(run.code, 1);
  assert.match(run.stdout, /no database "missing" \(configured: good, denied\)/);
});
