import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { createLogger, redactText } from '../../src/logging/index.js';

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
