import { test } from 'node:test';
import assert from 'node:assert/strict';
import { closedPort, runCli } from './run-cli.js';

test('data commands exit 4 without a server', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  for (const args of [['status'], ['query', 'SELECT 1'], ['sync'], ['sync', '--table', 'actor']]) {
    const run = await runCli([...args, '--url', url]);
    assert.equal(run.code, 4, args.join(' '));
    assert.ok(run.stderr.includes(url), run.stderr);
    assert.match(run.stderr, /duckling serve/);
  }
});

test('DUCKLING_URL is used', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const run = await runCli(['status'], { env: { DUCKLING_URL: url } });
  assert.equal(run.code, 4);
  assert.ok(run.stderr.includes(url), run.stderr);
});

test('unreachable error as JSON', async () => {
  const url = `http://127.0.0.1:${await closedPort()}`;
  const run = await runCli(['status', '--json', '--url', url]);
  assert.equal(run.code, 4);
  const body = JSON.parse(run.stderr) as { error: { code: string; message: string } };
  assert.equal(body.error.code, 'DUCKLING_UNREACHABLE');
  assert.ok(body.error.message.includes(url));
});
