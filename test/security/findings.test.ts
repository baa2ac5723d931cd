import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ConfigError, loadConfig } from '../../src/config/index.js';
import {
  configInvalidFindings,
  evaluateFindings,
  formatFatalLine,
  isLoopbackHost,
  summarizeRegistry,
  type Finding,
  type RegistrySummary,
} from '../../src/security/index.js';
import type { DatabaseRecord } from '../../src/registry/index.js';

const API_KEY = 'a3f9c2e17b4d6085f1e2d3c4b5a69788';
const SESSION_SECRET = '9c1e4b7a2d5f8e0b3c6a9d2f5e8b1c4a7d0f3e6b9c2a5d8f';
const JWT_SECRET = 'e2b7d4a9c1f6e3b8d5a2c7f4e1b6d3a8c5f2e7b4d1a6c3f8';
const ADMIN_PASSWORD = 'Rq7vLk2mXw9pTz4n';
const SECRETS_KEY = '0123456789abcdef'.repeat(4);

/** Every setting at the value the clean production configuration requires. */
const CLEAN_PRODUCTION: Record<string, string> = {
  NODE_ENV: 'production',
  HOST: '0.0.0.0',
  ADMIN_USERNAME: 'ops',
  ADMIN_PASSWORD,
  SESSION_SECRET,
  JWT_SECRET,
  DUCKLING_API_KEY: API_KEY,
  DUCKLING_SECRETS_KEY: SECRETS_KEY,
  RATE_LIMIT_ENABLED: 'true',
  RATE_LIMIT_MODE: 'enforce',
  CORS_ORIGINS: 'https://app.example.com',
  TRUST_PROXY: '1',
  JWT_EXPIRES_IN: '7d',
};

const TLS_SOURCE: RegistrySummary = {
  sources: [{ databaseId: 'default', host: 'db.internal', sslMode: 'VERIFY_IDENTITY' }],
  holdsSecrets: true,
  unreadableSecrets: [],
};

function findings(overrides: Record<string, string>, registry: RegistrySummary = TLS_SOURCE): Finding[] {
  const env = { ...CLEAN_PRODUCTION, ...overrides };
  for (const [name, value] of Object.entries(env)) if (value === '<unset>') delete env[name];
  const config = loadConfig(env, { cwd: mkdtempSync(path.join(os.tmpdir(), 'duckling-findings-')) });
  return evaluateFindings(config, registry);
}

function ids(list: Finding[]): string[] {
  return list.map((finding) => finding.id);
}

test('clean production configuration has no finding', () => {
  assert.deepEqual(findings({}), []);
});

test('protocol settings raise no finding', () => {
  // The MySQL protocol listener is not built yet, so its settings must not raise warnings.
  assert.deepEqual(findings({ MYSQL_PROTOCOL_HOST: '0.0.0.0', MYSQL_PROTOCOL_PASSWORD: API_KEY }), []);
  assert.deepEqual(findings({ DUCKLING_API_KEY: '<unset>' }).map((finding) => finding.id), ['api_key_missing']);
});

const FATAL_CASES: Array<[string, Record<string, string>, string]> = [
  ['session secret unset', { SESSION_SECRET: '<unset>', JWT_SECRET: JWT_SECRET }, 'session_secret_missing'],
  ['session secret blank', { SESSION_SECRET: '   ' }, 'session_secret_missing'],
  ['jwt secret known default', { JWT_SECRET: 'changeme' }, 'jwt_secret_placeholder'],
  ['jwt secret from an example', { JWT_SECRET: 'generate-with-openssl-rand-hex-32' }, 'jwt_secret_placeholder'],
  ['jwt secret in angle brackets', { JWT_SECRET: '<your jwt secret here, 32 characters>' }, 'jwt_secret_placeholder'],
  ['session secret one repeated character', { SESSION_SECRET: 'x'.repeat(40) }, 'jwt_secret_placeholder'],
  ['session secret with placeholder word', { SESSION_SECRET: 'placeholder-0123456789abcdef0123456789' }, 'jwt_secret_placeholder'],
  ['admin user missing', { ADMIN_USERNAME: '<unset>' }, 'admin_credentials_missing'],
  ['admin password blank', { ADMIN_PASSWORD: '  ' }, 'admin_credentials_missing'],
];

for (const [name, overrides, id] of FATAL_CASES) {
  test(`fatal: ${name}`, () => {
    const list = findings(overrides);
    const match = list.find((finding) => finding.id === id);
    assert.ok(match, `${id} missing from ${ids(list).join(', ')}`);
    assert.equal(match.severity, 'fatal');
    assert.match(formatFatalLine(match), /^FATAL security: .+; .+/);
  });
}

test('fatal findings come before warnings', () => {
  const list = findings({ SESSION_SECRET: '<unset>', DUCKLING_API_KEY_PREVIOUS: 'b'.repeat(10) + API_KEY });
  assert.equal(list[0]?.severity, 'fatal');
  assert.equal(list.at(-1)?.severity, 'warning');
});

const WARNING_CASES: Array<[string, Record<string, string>, string, RegistrySummary?]> = [
  ['api key missing', { DUCKLING_API_KEY: '<unset>' }, 'api_key_missing'],
  ['api key short', { DUCKLING_API_KEY: 'abc123abc123' }, 'api_key_weak'],
  ['previous api key set', { DUCKLING_API_KEY_PREVIOUS: 'c'.repeat(8) + API_KEY }, 'api_key_previous_set'],
  ['admin password short', { ADMIN_PASSWORD: 'Rq7vLk2m' }, 'admin_password_weak'],
  ['admin password common', { ADMIN_PASSWORD: 'admin123' }, 'admin_password_weak'],
  ['admin password equals user', { ADMIN_USERNAME: 'operations-team-lead', ADMIN_PASSWORD: 'Operations-Team-Lead' }, 'admin_password_weak'],
  ['session secret short', { SESSION_SECRET: '9c1e4b7a2d5f8e0b' }, 'secret_short'],
  ['jwt secret short', { JWT_SECRET: 'e2b7d4a9c1f6' }, 'secret_short'],
  ['session secret equals api key', { SESSION_SECRET: API_KEY }, 'secret_reused'],
  ['token lifetime over a week', { JWT_EXPIRES_IN: '8d' }, 'jwt_lifetime_long'],
  ['rate limiting disabled', { RATE_LIMIT_ENABLED: 'false' }, 'rate_limit_off'],
  ['rate limiting in shadow mode', { RATE_LIMIT_MODE: 'shadow' }, 'rate_limit_off'],
  ['cors wildcard', { CORS_ORIGINS: 'https://app.example.com,*' }, 'cors_wildcard'],
  ['trust every proxy', { TRUST_PROXY: 'true' }, 'trust_proxy_all'],
  ['source without TLS', {}, 'source_plaintext', { ...TLS_SOURCE, sources: [{ databaseId: 'shop', host: 'db.internal', sslMode: 'DISABLED' }] }],
  ['secrets not sealed', { DUCKLING_SECRETS_KEY: '<unset>' }, 'secrets_unsealed'],
];

for (const [name, overrides, id, registry] of WARNING_CASES) {
  test(`warning: ${name}`, () => {
    const list = findings(overrides, registry);
    const match = list.find((finding) => finding.id === id);
    assert.ok(match, `${id} missing from ${ids(list).join(', ') || 'no findings'}`);
    assert.equal(match.severity, 'warning');
    assert.ok(match.remedy.length > 0);
  });
}

test('unreadable sealed values are fatal', () => {
  const list = findings({}, { ...TLS_SOURCE, unreadableSecrets: ['shop/mysqlConnectionString'] });
  assert.deepEqual(ids(list), ['secrets_unreadable']);
  assert.match(list[0]!.message, /shop\/mysqlConnectionString/);
});

test('loopback source without TLS is fine', () => {
  const registry = { ...TLS_SOURCE, sources: [{ databaseId: 'default', host: '127.0.0.1', sslMode: 'DISABLED' }] };
  assert.deepEqual(findings({}, registry), []);
});

test('no finding contains a secret value', () => {
  const secrets = {
    SESSION_SECRET: 'short-session-secret-value',
    JWT_SECRET: 'short-jwt-secret-value',
    DUCKLING_API_KEY: 'short-api-key-value',
    DUCKLING_API_KEY_PREVIOUS: 'old-api-key-value-1234',
    ADMIN_PASSWORD: 'weakpassword',
    MYSQL_PROTOCOL_PASSWORD: 'short-api-key-value',
  };
  const list = findings({ ...secrets, DUCKLING_SECRETS_KEY: '<unset>', RATE_LIMIT_MODE: 'shadow' });
  assert.ok(list.length >= 6, ids(list).join(', '));
  const text = JSON.stringify(list);
  for (const [name, value] of Object.entries(secrets)) assert.ok(!text.includes(value), `${name} leaked`);
});

test('invalid variables become config_invalid', () => {
  let error: unknown;
  try {
    loadConfig({ PORT: '99999', DUCKLING_API_KEY: 'not-shown-anywhere' }, { cwd: mkdtempSync(path.join(os.tmpdir(), 'duckling-findings-')) });
  } catch (caught) {
    error = caught;
  }
  assert.ok(error instanceof ConfigError);
  const list = configInvalidFindings(error);
  assert.deepEqual(ids(list), ['config_invalid']);
  assert.match(formatFatalLine(list[0]!), /^FATAL security: PORT="99999" is invalid/);
});

test('registry summary reads host, TLS mode and secrets', () => {
  const record = (id: string, mysqlConnectionString: string, extra: Partial<DatabaseRecord> = {}): DatabaseRecord => ({
    id, name: id, mysqlConnectionString, duckdbPath: `${id}.db`, createdAt: '2026-01-01T00:00:00.000Z', updatedAt: '2026-01-01T00:00:00.000Z', ...extra,
  });
  const summary = summarizeRegistry([
    record('a', 'mysql://reader@db.internal:3306/shop?ssl-mode=REQUIRED'),
    record('b', 'mysql://reader@[::1]:3306/shop?ssl=true'),
    record('c', 'not a url'),
  ]);
  assert.deepEqual(summary.sources, [
    { databaseId: 'a', host: 'db.internal', sslMode: 'REQUIRED' },
    { databaseId: 'b', host: '::1', sslMode: 'VERIFY_IDENTITY' },
  ]);
  assert.equal(summary.holdsSecrets, false);
  assert.equal(summarizeRegistry([record('d', 'mysql://reader:pw@db/shop')]).holdsSecrets, true);
  assert.equal(summarizeRegistry([record('e', 'mysql://reader@db/shop', { s3: { secretAccessKey: 'x' } as DatabaseRecord['s3'] })]).holdsSecrets, true);
});

test('loopback hosts', () => {
  for (const host of ['127.0.0.1', '127.0.1.1', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['0.0.0.0', '10.0.0.5', 'db.internal', '::']) assert.ok(!isLoopbackHost(host), host);
});
