import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig, VARIABLES } from '../../src/config/index.js';
import { renderEnvExample } from '../../src/config/env-example.js';

const emptyDir = () => mkdtempSync(path.join(os.tmpdir(), 'duckling-config-'));

test('defaults apply when nothing is set', () => {
  const cwd = emptyDir();
  const config = loadConfig({}, { cwd });
  assert.equal(config.port, 3001);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.dataPath, path.join(cwd, 'data'));
  assert.equal(config.duckdbPath, path.join(cwd, 'data', 'duckling.db'));
  assert.equal(config.sync.fullSyncBatchSize, 50000);
  assert.equal(config.query.maxRows, 100000);
  assert.equal(config.auth.apiKey, null);
  assert.deepEqual(config.sync.excludedTables, []);
  assert.ok(Object.isFrozen(config.sync));
});

test('booleans accept every documented spelling', () => {
  for (const [text, expected] of [['yes', true], ['1', true], ['TRUE', true], ['no', false], ['0', false]] as const) {
    const config = loadConfig({ FULL_SYNC_RESUME_ENABLED: text }, { cwd: emptyDir() });
    assert.equal(config.sync.fullSyncResumeEnabled, expected, text);
  }
});

test('invalid values are all reported at once', () => {
  const env = { PORT: 'eighty', SYNC_TABLE_CONCURRENCY: '0', DUCKDB_MEMORY_LIMIT: 'lots', LOG_LEVEL: 'loud' };
  const error = captureConfigError(() => loadConfig(env, { cwd: emptyDir() }));
  const variables = error.problems.map((problem) => problem.variable).sort();
  assert.deepEqual(variables, ['DUCKDB_MEMORY_LIMIT', 'LOG_LEVEL', 'PORT', 'SYNC_TABLE_CONCURRENCY']);
  assert.match(error.message, /PORT="eighty" is invalid: expected an integer from 0 to 65535/);
  assert.match(error.message, /LOG_LEVEL="loud" is invalid: expected one of fatal, error/);
});

test('invalid secret is masked in the message', () => {
  const error = captureConfigError(() => loadConfig({ JWT_EXPIRES_IN: 'forever', MYSQL_CONNECTION_STRING: 'x' }, { cwd: emptyDir() }));
  assert.match(error.message, /JWT_EXPIRES_IN="forever"/);
  const secretError = captureConfigError(() =>
    loadConfig({ PORT: '-1', DUCKLING_API_KEY: 'super-secret-value' }, { cwd: emptyDir() }),
  );
  assert.doesNotMatch(secretError.message, /super-secret-value/);
});

test('DUCKDB_PATH outside DATA_PATH is rejected', () => {
  const error = captureConfigError(() => loadConfig({ DUCKDB_PATH: '/elsewhere/x.db' }, { cwd: emptyDir() }));
  assert.match(error.message, /DUCKDB_PATH="\/elsewhere\/x.db" is invalid: the replica file must lie directly in DATA_PATH/);
});

test('REDIS_URL needs redis scheme', () => {
  const error = captureConfigError(() => loadConfig({ REDIS_URL: 'http://user:r3d1sPw@127.0.0.1:6391' }, { cwd: emptyDir() }));
  assert.deepEqual(error.problems.map((problem) => problem.variable), ['REDIS_URL']);
  assert.match(error.message, /REDIS_URL is invalid: the scheme "http:" is not supported; give a redis:\/\/ or rediss:\/\/ URL/);
  assert.doesNotMatch(error.message, /r3d1sPw/);

  const notUrl = captureConfigError(() => loadConfig({ REDIS_URL: '127.0.0.1:6379' }, { cwd: emptyDir() }));
  assert.match(notUrl.message, /REDIS_URL is invalid/);

  for (const url of ['redis://127.0.0.1:6391', 'rediss://cache.internal:6380/2']) {
    assert.equal(loadConfig({ REDIS_URL: url }, { cwd: emptyDir() }).redis.url, url);
  }
});

test('.env is read and the environment wins', () => {
  const cwd = emptyDir();
  writeFileSync(path.join(cwd, '.env'), 'PORT=4100\nHOST=127.0.0.1\n');
  const config = loadConfig({ PORT: '4200' }, { cwd });
  assert.equal(config.port, 4200);
  assert.equal(config.host, '127.0.0.1');
});

test('unknown prefixed variables are listed as likely typos', () => {
  const config = loadConfig({ DUCKDB_MEMORY_LIMT: '1GB', RATE_LIMIT_MAXX: '3', UNRELATED: 'x' }, { cwd: emptyDir() });
  assert.deepEqual(config.unknownVariables, ['DUCKDB_MEMORY_LIMT', 'RATE_LIMIT_MAXX']);
});

test('every default parses', () => {
  for (const spec of VARIABLES) {
    assert.doesNotThrow(() => loadConfig({ [spec.name]: spec.default }, { cwd: emptyDir() }), spec.name);
  }
});

test('.env.example matches the settings table', () => {
  const committed = readFileSync(new URL('../../.env.example', import.meta.url), 'utf8');
  assert.equal(committed, renderEnvExample(), 'run: node --import tsx scripts/write-env-example.ts');
  for (const spec of VARIABLES) {
    assert.ok(committed.includes(`\n${spec.name}=${spec.default}\n`), `${spec.name} missing from .env.example`);
  }
});

function captureConfigError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  assert.fail('expected a ConfigError');
}

test('docs/configuration.md lists every variable', async () => {
  const { replaceVariableTables } = await import('../../src/config/env-example.js');
  const committed = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
  assert.equal(committed, replaceVariableTables(committed), 'run: node --import tsx scripts/write-env-example.ts');
});
