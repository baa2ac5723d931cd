import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, isSecretFieldName, Redactor, redactText } from '../../src/logging/index.js';

function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: 'trace', version: 'test', destination });
  return { logger, lines };
}

test('connection-string password is masked in text', () => {
  assert.equal(redactText('connect mysql://app:s3cr%40t@db:3306/shop failed'), 'connect mysql://app:***@db:3306/shop failed');
  assert.equal(redactText('/api/x?token=abc&db=1&apiKey=zzz'), '/api/x?token=***&db=1&apiKey=***');
  assert.equal(redactText('/health?access_token=abc&APIKEY=zzz&Token=t'), '/health?access_token=***&APIKEY=***&Token=***');
});

test('password in any URL is masked', () => {
  assert.equal(redactText('endpoint http://user:Pw0Secret@127.0.0.1:4569 failed'), 'endpoint http://user:***@127.0.0.1:4569 failed');
  assert.equal(redactText('"https://ak:sk/1@s3.example.com/b"'), '"https://ak:***@s3.example.com/b"');
  assert.equal(redactText('redis://default:r3d1s@cache:6379/0'), 'redis://default:***@cache:6379/0');
  assert.equal(redactText('http://127.0.0.1:4569/bucket'), 'http://127.0.0.1:4569/bucket');
});

test('secret fields never reach the log line', async () => {
  const { logger, lines } = capture();
  logger.info(
    { password: 'pw1', apiKey: 'key1', databaseId: 'default', req: { headers: { authorization: 'Bearer tok1' } } },
    'request',
  );
  logger.error({ err: new Error('access denied for mysql://root:pw2@127.0.0.1/x') }, 'source failed');
  logger.warn('url mysql://u:pw3@h/s');
  await new Promise((resolve) => setImmediate(resolve));
  const output = lines.join('');
  for (const secret of ['pw1', 'key1', 'tok1', 'pw2', 'pw3']) assert.ok(!output.includes(secret), `${secret} leaked`);
  assert.match(output, /"databaseId":"default"/);
  assert.match(output, /"service":"duckling"/);
});

test('LOGS_DIR receives the same redacted lines', async () => {
  const { mkdtempSync, readFileSync } = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-logs-'));
  const sink = new Writable({ write: (_chunk, _encoding, callback) => callback() });
  const logger = createLogger({ level: 'info', version: 'test', destination: sink, logsDir: directory });
  logger.info({ password: 'pw9', databaseId: 'shop' }, 'file line');
  await new Promise((resolve) => setTimeout(resolve, 200));
  const text = readFileSync(path.join(directory, 'duckling.log'), 'utf8');
  assert.match(text, /"msg":"file line"/);
  assert.match(text, /"databaseId":"shop"/);
  assert.ok(!text.includes('pw9'));
});

test('nested secret fields are masked', async () => {
  const { logger, lines } = capture();
  logger.info(
    {
      databaseId: 'shop',
      detail: { s3: { secretAccessKey: 'sak1', encryptionKey: 'ek1', keyring: [{ fingerprint: 'fp1', key: 'kr1' }] } },
      headers: { 'x-api-key': 'xk1', 'set-cookie': 'sc1', cookie: 'ck1', authorization: 'Bearer au1' },
      settings: { DUCKLING_API_KEY: 'env1', adminPassword: 'ap1', sessionSecret: 'ss1' },
      url: '/api/sync/events?db=shop&ticket=tk1',
      note: 'source mysql://reader:np1@db.internal/shop',
    },
    'nested',
  );
  await new Promise((resolve) => setImmediate(resolve));
  const output = lines.join('');
  for (const secret of ['sak1', 'ek1', 'kr1', 'xk1', 'sc1', 'ck1', 'au1', 'env1', 'ap1', 'ss1', 'tk1', 'np1']) {
    assert.ok(!output.includes(secret), `${secret} leaked`);
  }
  assert.match(output, /"keyring":"\*\*\*"/);
  assert.match(output, /"databaseId":"shop"/);
  assert.match(output, /ticket=\*\*\*/);
});

test('configured secret values are masked in text', async () => {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, callback) {
      lines.push(String(chunk));
      callback();
    },
  });
  const logger = createLogger({ level: 'info', version: 'test', destination, secretValues: ['configured-key-0123456789', 'short', null] });
  logger.warn({ detail: 'client sent configured-key-0123456789 as a header value' }, 'odd request');
  logger.error({ err: new Error('rejected configured-key-0123456789') }, 'failed');
  await new Promise((resolve) => setImmediate(resolve));
  const output = lines.join('');
  assert.ok(!output.includes('configured-key-0123456789'));
  assert.match(output, /client sent \*\*\* as a header value/);
});

test('redactor leaves class instances alone', () => {
  const redactor = new Redactor();
  const date = new Date(0);
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  const copy = redactor.value({ at: date, circular, buffer: Buffer.from('x') }) as Record<string, unknown>;
  assert.equal(copy.at, date);
  assert.deepEqual((copy.circular as Record<string, unknown>).self, '[circular]');
  assert.ok(Buffer.isBuffer(copy.buffer));
});

test('secret field names match ignoring case', () => {
  for (const name of ['password', 'Authorization', 'X-Api-Key', 'JWT_SECRET', 'accessToken', 'DUCKLING_SECRETS_KEY', 'key']) {
    assert.ok(isSecretFieldName(name), name);
  }
  for (const name of ['keyId', 'fingerprint', 'revokedTokens', 'databaseId', 'tokenExpiresAt']) {
    assert.ok(!isSecretFieldName(name), name);
  }
});
