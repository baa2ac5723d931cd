import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync, writeFileSync, chmodSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import dotenv from 'dotenv';
import { loadConfig, VARIABLES } from '../../src/config/index.js';
import { runCli } from './run-cli.js';

const HEX_SECRETS = ['DUCKLING_API_KEY', 'SESSION_SECRET', 'JWT_SECRET', 'DUCKLING_SECRETS_KEY'];

function tempDirectory(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'duckling-init-'));
}

test('init writes secrets with mode 0600', async (t) => {
  const directory = tempDirectory();
  t.after(() => rmSync(directory, { recursive: true, force: true }));

  const run = await runCli(['init', '--dir', directory]);
  assert.equal(run.code, 0, run.stderr);

  const envFile = path.join(directory, '.env');
  assert.equal(statSync(envFile).mode & 0o777, 0o600);
  const values = dotenv.parse(readFileSync(envFile));
  for (const name of HEX_SECRETS) assert.match(values[name] ?? '', /^[0-9a-f]{64}$/, name);
  assert.equal(new Set(HEX_SECRETS.map((name) => values[name])).size, HEX_SECRETS.length, 'secrets differ');
  assert.equal(values.ADMIN_USERNAME, 'admin');
  assert.match(values.ADMIN_PASSWORD ?? '', /^[A-Za-z0-9]{24}$/);
  assert.ok(run.stdout.includes(values.ADMIN_PASSWORD!), 'password printed once');
});

test('init lists every variable', async (t) => {
  const directory = tempDirectory();
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  await runCli(['init', '--dir', directory]);

  const text = readFileSync(path.join(directory, '.env'), 'utf8');
  for (const spec of VARIABLES) {
    assert.match(text, new RegExp(`^(# )?${spec.name}=`, 'm'), spec.name);
  }
  assert.match(text, /^# PORT=3001$/m);
  assert.match(text, /^# ===== MySQL source =====$/m);
});

test('init output passes config validation', async (t) => {
  const directory = tempDirectory();
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  await runCli(['init', '--dir', directory]);

  const config = loadConfig({}, { envFile: path.join(directory, '.env'), cwd: directory });
  assert.equal(config.dataPath, path.join(directory, 'data'));
  assert.match(config.auth.apiKey ?? '', /^[0-9a-f]{64}$/);
  assert.ok(statSync(config.dataPath).isDirectory(), 'DATA_PATH created');
});

test('init refuses to overwrite without --force', async (t) => {
  const directory = tempDirectory();
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const envFile = path.join(directory, '.env');
  writeFileSync(envFile, 'DUCKLING_API_KEY=keep-me\n');

  const refused = await runCli(['init', '--dir', directory]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /already exists; pass --force/);
  assert.equal(readFileSync(envFile, 'utf8'), 'DUCKLING_API_KEY=keep-me\n');
});

test('init --force replaces and tightens mode', async (t) => {
  const directory = tempDirectory();
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const envFile = path.join(directory, '.env');
  writeFileSync(envFile, 'DUCKLING_API_KEY=old\n');
  chmodSync(envFile, 0o644);

  const run = await runCli(['init', '--dir', directory, '--force']);
  assert.equal(run.code, 0, run.stderr);
  assert.equal(statSync(envFile).mode & 0o777, 0o600);
  assert.match(dotenv.parse(readFileSync(envFile)).DUCKLING_API_KEY ?? '', /^[0-9a-f]{64}$/);
});

test('init --json prints the result', async (t) => {
  const directory = tempDirectory();
  t.after(() => rmSync(directory, { recursive: true, force: true }));

  const run = await runCli(['--json', 'init', '--dir', directory]);
  assert.equal(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout) as Record<string, string>;
  assert.equal(result.envFile, path.join(directory, '.env'));
  assert.equal(result.adminUsername, 'admin');
  assert.equal(result.adminPassword, dotenv.parse(readFileSync(path.join(directory, '.env'))).ADMIN_PASSWORD);
});
