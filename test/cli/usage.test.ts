import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closedPort, runCli } from './run-cli.js';

test('no command prints help, exit 2', async () => {
  const run = await runCli([]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Usage: duckling/);
});

test('unknown command exits 2', async () => {
  const run = await runCli(['frobnicate']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /unknown command 'frobnicate'/);
});

test('help exits 0', async () => {
  const run = await runCli(['sync', '--help']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /--no-wait/);
});

test('invalid --db exits 2', async () => {
  const run = await runCli(['status', '--db', 'Bad-Id']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /Invalid database id "Bad-Id"/);
});

test('query rejects --max-rows 0', async () => {
  const run = await runCli(['query', 'SELECT 1', '--max-rows', '0']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--max-rows/);
});

test('sync --table with --no-wait exits 2', async () => {
  const run = await runCli(['sync', '--table', 'actor', '--no-wait', '--url', `http://127.0.0.1:${await closedPort()}`]);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /--no-wait applies to whole-database runs only/);
});

test('non-http --url exits 2', async () => {
  const run = await runCli(['status', '--url', 'ftp://127.0.0.1']);
  assert.equal(run.code, 2);
  assert.match(run.stderr, /only http:\/\/ and https:\/\//);
});

test('missing api key file exits 1', async () => {
  const run = await runCli(['status', '--api-key-file', '/nonexistent/duckling.key', '--url', `http://127.0.0.1:${await closedPort()}`]);
  assert.equal(run.code, 1);
  assert.match(run.stderr, /Cannot read the API key file \/nonexistent\/duckling\.key/);
});

test('serve reports each config problem', async (t) => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-serve-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(path.join(directory, 'settings.env'), 'QUERY_MAX_ROWS=many\nDUCKLING_THREADS=x\n');

  const run = await runCli(['serve', '--env-file', 'settings.env'], { cwd: directory, env: { PORT: '99999' } });
  assert.equal(run.code, 1);
  const lines = run.stderr.trim().split('\n');
  assert.ok(lines.some((line) => /QUERY_MAX_ROWS="many" is invalid/.test(line)), run.stderr);
  assert.ok(lines.some((line) => /PORT="99999" is invalid/.test(line)), run.stderr);
});
