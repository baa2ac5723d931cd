import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DucklingClientError, DucklingHttpClient } from '../../src/client/index.js';
import { startDuckling, TEST_ADMIN_PASSWORD, TEST_ADMIN_USERNAME, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';

let server: RunningDuckling;

before(async () => {
  server = await startDuckling({ MYSQL_CONNECTION_STRING: '' });
});

after(async () => {
  await server?.stop();
});

test('client logs in and out', async () => {
  const anonymous = new DucklingHttpClient({ url: server.url });
  assert.equal((await anonymous.checkAuth()).authenticated, false);

  const session = await anonymous.login(TEST_ADMIN_USERNAME, TEST_ADMIN_PASSWORD);
  const admin = new DucklingHttpClient({ url: server.url, token: session.token });
  assert.deepEqual(await admin.checkAuth(), { authenticated: true, username: TEST_ADMIN_USERNAME, authMethod: 'jwt' });
  assert.equal((await admin.me()).scope, 'all');

  await admin.logout();
  await assert.rejects(admin.me(), (error: unknown) => error instanceof DucklingClientError && error.statusCode === 401);
});

test('client login failure', async () => {
  const anonymous = new DucklingHttpClient({ url: server.url });
  await assert.rejects(
    anonymous.login(TEST_ADMIN_USERNAME, 'not-the-password-0000'),
    (error: unknown) => error instanceof DucklingClientError && error.code === 'DUCKLING_AUTH_LOGIN_FAILED',
  );
});

test('client key routes report 404', async () => {
  const client = new DucklingHttpClient({ url: server.url, apiKey: TEST_API_KEY });
  await assert.rejects(client.listDatabaseKeys('nope'), (error: unknown) => error instanceof DucklingClientError && error.statusCode === 404);
  await assert.rejects(client.createTicket('sse'), (error: unknown) => error instanceof DucklingClientError && error.code === 'DUCKLING_DATABASE_NOT_FOUND');
});
