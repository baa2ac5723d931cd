import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closedPort, runCli } from '../cli/run-cli.js';

test('serve prints one FATAL line per problem', async (t) => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-fatal-serve-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  writeFileSync(path.join(directory, 'settings.env'), 'JWT_SECRET=changeme\nAUTO_START_SYNC=false\n');

  const port = await closedPort();
  const run = await runCli(['serve', '--env-file', 'settings.env', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: directory,
    env: { DATA_PATH: path.join(directory, 'data'), LOG_LEVEL: 'silent', DUCKLING_API_KEY: 'never-printed-0123456789abcdef0123' },
  });

  assert.equal(run.code, 1, run.stderr);
  const fatal = run.stderr.split('\n').filter((line) => line.startsWith('FATAL security: '));
  assert.equal(fatal.length, 3, run.stderr);
  assert.ok(fatal.some((line) => line.includes('SESSION_SECRET is not set')), run.stderr);
  assert.ok(fatal.some((line) => line.includes('JWT_SECRET is a placeholder')), run.stderr);
  assert.ok(fatal.some((line) => line.includes('ADMIN_USERNAME and ADMIN_PASSWORD are not set')), run.stderr);
  assert.ok(!run.stderr.includes('never-printed'), 'API key printed');
  assert.ok(!run.stderr.includes('changeme'), 'placeholder value printed');
  assert.deepEqual(readdirSync(path.join(directory, 'data')).filter((name) => name.endsWith('.db')), [], 'replica opened');
});
