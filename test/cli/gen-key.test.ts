import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runCli } from './run-cli.js';

test('gen-key default is 64 hex characters', async () => {
  const first = await runCli(['gen-key']);
  const second = await runCli(['gen-key']);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^[0-9a-f]{64}\n$/);
  assert.notEqual(first.stdout, second.stdout);
});

test('gen-key base64 with --bytes', async () => {
  const run = await runCli(['gen-key', '--format', 'base64', '--bytes', '48']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(Buffer.from(run.stdout.trim(), 'base64').length, 48);
  assert.match(run.stdout.trim(), /^[A-Za-z0-9+/]{64}$/);
});

test('gen-key --json', async () => {
  const run = await runCli(['gen-key', '--json', '--bytes', '16']);
  assert.equal(run.code, 0, run.stderr);
  const body = JSON.parse(run.stdout) as { key: string; bytes: number; format: string };
  assert.match(body.key, /^[0-9a-f]{32}$/);
  assert.equal(body.format, 'hex');
});

test('gen-key rejects bad options', async () => {
  for (const args of [['--bytes', '8'], ['--bytes', 'ten'], ['--format', 'base32']]) {
    const run = await runCli(['gen-key', ...args]);
    assert.equal(run.code, 2, args.join(' '));
    assert.match(run.stderr, /is invalid/, args.join(' '));
  }
});
