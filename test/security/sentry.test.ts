import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { gunzipSync } from 'node:zlib';
import * as Sentry from '@sentry/node';
import Fastify from 'fastify';
import { loadConfig } from '../../src/config/index.js';
import { DucklingError } from '../../src/errors/index.js';
import { errorHandlerPlugin } from '../../src/http/plugins/error-handler.js';
import { silentLogger } from '../../src/logging/index.js';
import { startSentry, type ErrorReporter } from '../../src/observability/sentry.js';
import { configuredSecretValues } from '../../src/security/index.js';

/** Every kind of secret the redaction covers; none may reach the Sentry server. */
const SECRETS = {
  apiKey: 'apikey-3f9c2e17b4d6085f1e2d3c4b5a697881',
  sessionSecret: 'session-9c1e4b7a2d5f8e0b3c6a9d2f5e8b1c4a7d',
  adminPassword: 'admin-pw-Rq7vLk2mXw9pTz4n',
  sourcePassword: 'source-pw-d8a1c7f4',
  bearerToken: 'bearer-token-5e6f7a8b9c0d',
  cookie: 'cookie-value-1a2b3c4d5e6f',
  setCookie: 'set-cookie-value-6f5e4d3c',
  headerKey: 'x-api-key-value-0f1e2d3c',
  ticket: 'ticket-value-9a8b7c6d5e4f',
  queryToken: 'query-token-1b2c3d4e5f6a',
  s3Secret: 's3-secret-access-key-77aa88bb',
  encryptionKey: 'encryption-key-99cc00dd11ee',
  keyringKey: 'keyring-key-22ff33aa44bb',
  databaseKey: 'dk_shop_database-key-55cc66dd77ee',
  breadcrumbPassword: 'breadcrumb-pw-88ee99ff',
};

let collector: Server;
const envelopes: string[] = [];
let reporter: ErrorReporter;

before(async () => {
  collector = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      envelopes.push((request.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body).toString('utf8'));
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const { port } = collector.address() as { port: number };

  const config = loadConfig(
    {
      SENTRY_DSN: `http://0123456789abcdef0123456789abcdef@127.0.0.1:${port}/42`,
      SENTRY_RELEASE: 'duckling-test-release',
      NODE_ENV: 'test',
      DUCKLING_API_KEY: SECRETS.apiKey,
      SESSION_SECRET: SECRETS.sessionSecret,
      ADMIN_USERNAME: 'admin',
      ADMIN_PASSWORD: SECRETS.adminPassword,
    },
    { cwd: mkdtempSync(path.join(os.tmpdir(), 'duckling-sentry-')) },
  );
  reporter = await startSentry(config, silentLogger(), configuredSecretValues(config));
});

after(async () => {
  await Sentry.close(2_000);
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

/** Builds an error whose message and fields carry every kind of secret. */
function secretLadenError(): Error {
  const error = new Error(
    `connect mysql://reader:${SECRETS.sourcePassword}@db.internal:3306/shop failed for key ${SECRETS.apiKey} at /api/sync/events?ticket=${SECRETS.ticket}&token=${SECRETS.queryToken}`,
  );
  Object.assign(error, { password: SECRETS.adminPassword, connectionString: `mysql://reader:${SECRETS.sourcePassword}@db/shop` });
  return error;
}

test('sentry events carry no secret', async () => {
  assert.equal(reporter.enabled, true);
  Sentry.addBreadcrumb({ category: 'auth', message: `login with password=${SECRETS.breadcrumbPassword}`, data: { password: SECRETS.breadcrumbPassword } });

  reporter.captureException(secretLadenError(), {
    tags: { route: '/api/query', db: 'shop', protocol: 'rest' },
    extra: {
      headers: { authorization: `Bearer ${SECRETS.bearerToken}`, cookie: SECRETS.cookie, 'set-cookie': SECRETS.setCookie, 'x-api-key': SECRETS.headerKey },
      token: SECRETS.bearerToken,
      apiKey: SECRETS.databaseKey,
      key: SECRETS.databaseKey,
      ticket: SECRETS.ticket,
      s3: { secretAccessKey: SECRETS.s3Secret, encryptionKey: SECRETS.encryptionKey, keyring: [{ fingerprint: 'ab12', key: SECRETS.keyringKey }] },
      sessionSecret: SECRETS.sessionSecret,
      note: `the session secret is ${SECRETS.sessionSecret}`,
    },
  });
  assert.equal(await reporter.flush(5_000), true);

  const text = envelopes.join('\n');
  assert.ok(envelopes.length >= 1, 'no envelope arrived');
  assert.match(text, /duckling-test-release/);
  assert.match(text, /"environment":"test"/);
  assert.match(text, /mysql:\/\/reader:\*\*\*@db\.internal/);
  for (const [name, value] of Object.entries(SECRETS)) assert.ok(!text.includes(value), `${name} reached Sentry`);
});

test('5xx captured and 4xx not', async () => {
  const app = Fastify();
  await app.register(errorHandlerPlugin, {
    hideInternalErrors: false,
    bodyLimitBytes: 1024,
    reportServerError: (error) => reporter.captureException(error, { tags: { protocol: 'rest' } }),
  });
  // Markers are built at run time, because Sentry sends the source lines around each frame.
  const serverMarker = `marker-${500 + 3}`;
  const clientMarker = `marker-${400 + 3}`;
  app.get('/server-error', async () => {
    throw new Error(`server-side failure ${serverMarker}`);
  });
  app.get('/client-error', async () => {
    throw new DucklingError('DUCKLING_VALIDATION_FAILED', { detail: `client-side failure ${clientMarker}` });
  });
  await app.ready();

  const before = envelopes.length;
  assert.equal((await app.inject({ method: 'GET', url: '/client-error' })).statusCode, 400);
  assert.equal((await app.inject({ method: 'GET', url: '/server-error' })).statusCode, 500);
  assert.equal(await reporter.flush(5_000), true);
  await app.close();

  const text = envelopes.slice(before).join('\n');
  assert.ok(text.includes(serverMarker), '5xx error not captured');
  assert.ok(!text.includes(clientMarker), '4xx error captured');
  const serverEvents = text.split('\n').filter((line) => line.includes(`"value":"server-side failure ${serverMarker}"`));
  assert.equal(serverEvents.length, 1, 'the 5xx error was captured more than once');
});
