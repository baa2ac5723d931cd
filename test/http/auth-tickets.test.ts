import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readServerSentEvents } from '../app/sse-reader.js';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';
import { captureAudit, login, send, type AuditRecord } from './auth-helpers.js';

// Two databases, `default` and `other`, copied from one small source schema.
let server: RunningDuckling;
let token: string;
const audit = captureAudit();

before(async () => {
  const source = await testSource();
  const schema = await source.createSchema('auth_tickets');
  const connection = await source.connect(schema);
  try {
    await connection.query('CREATE TABLE items (id INT PRIMARY KEY)');
  } finally {
    await connection.end();
  }
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schema) }, { logger: audit.logger });
  const other = await postJson(server, '/api/databases', { name: 'other', mysqlConnectionString: source.url(schema) });
  assert.equal(other.status, 200);
  ({ token } = await login(server));
});

after(async () => {
  await server?.stop();
});

function auditOf(response: Response, event: string): AuditRecord | undefined {
  const requestId = response.headers.get('x-request-id');
  return audit.events.find((record) => record.requestId === requestId && record.event === event);
}

async function issue(body: Record<string, unknown>, headers: Record<string, string> = { authorization: `Bearer ${token}` }): Promise<string> {
  const response = await send(server, 'POST', '/api/tickets', headers, body);
  assert.equal(response.status, 201, await response.clone().text());
  return (await readJson(response)).ticket;
}

const openEvents = (ticket: string, db = 'default') => send(server, 'GET', `/api/sync/events?db=${db}&ticket=${encodeURIComponent(ticket)}`);

describe('ticket issue', () => {
  test('returns 201 with the binding', async () => {
    const response = await send(server, 'POST', '/api/tickets', { authorization: `Bearer ${token}` }, { purpose: 'sse' });
    const body = await readJson(response);

    assert.equal(response.status, 201);
    assert.match(body.ticket, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(body.purpose, 'sse');
    assert.equal(body.db, 'default');
    assert.ok(Math.abs(Date.parse(body.expiresAt) - (Date.now() + 60_000)) < 5_000);
    assert.equal(auditOf(response, 'auth.ticket.issued')?.detail?.purpose, 'sse');
  });

  test('bad purpose gets 400', async () => {
    const response = await send(server, 'POST', '/api/tickets', { authorization: `Bearer ${token}` }, { purpose: 'ftp' });
    assert.equal(response.status, 400);
    assert.match((await readJson(response)).message, /sse, ws/);
  });

  test('unknown database gets 404', async () => {
    const response = await send(server, 'POST', '/api/tickets', { authorization: `Bearer ${token}` }, { purpose: 'sse', db: 'nope' });
    assert.equal(response.status, 404);
  });

  test('needs credentials', async () => {
    assert.equal((await send(server, 'POST', '/api/tickets', {}, { purpose: 'sse' })).status, 401);
  });
});

describe('ticket use', () => {
  test('opens the event stream once', async () => {
    const ticket = await issue({ purpose: 'sse' });
    const connection = new AbortController();
    const response = await fetch(`${server.url}/api/sync/events?db=default&ticket=${ticket}`, { signal: connection.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /text\/event-stream/);
    const events = readServerSentEvents(response);
    assert.ok((await events.next()).value, 'first message');
    connection.abort();

    const reused = await openEvents(ticket);
    assert.equal(reused.status, 401);
    assert.equal((await readJson(reused)).code, 'DUCKLING_AUTH_INVALID');
    assert.equal(auditOf(reused, 'auth.rejected')?.detail?.reason, 'ticket_invalid');
  });

  test('wrong purpose gets 401', async () => {
    const ticket = await issue({ purpose: 'ws' });
    const response = await openEvents(ticket);
    assert.equal(response.status, 401);
    assert.equal(auditOf(response, 'auth.rejected')?.detail?.reason, 'ticket_wrong_purpose');
  });

  test('other database gets 403', async () => {
    const ticket = await issue({ purpose: 'sse', db: 'other' });
    const response = await openEvents(ticket, 'default');
    assert.equal(response.status, 403);
    assert.equal((await readJson(response)).code, 'DUCKLING_AUTH_SCOPE');
  });

  test('unknown ticket gets 401', async () => {
    const response = await openEvents('A'.repeat(43));
    assert.equal(response.status, 401);
    assert.equal(response.headers.get('www-authenticate'), 'Bearer error="invalid_token"');
  });

  test('opens the diagnose stream', async () => {
    const ticket = await issue({ purpose: 'sse', db: 'other' });
    const response = await send(server, 'GET', `/api/databases/other/diagnose/stream?ticket=${ticket}`);
    assert.equal(response.status, 200);
    await response.body?.cancel();
  });

  test('diagnose ticket for another database', async () => {
    const ticket = await issue({ purpose: 'sse', db: 'default' });
    const response = await send(server, 'GET', `/api/databases/other/diagnose/stream?ticket=${ticket}`);
    assert.equal(response.status, 403);
  });

  test('logout voids the session tickets', async () => {
    const session = await login(server);
    const ticket = await issue({ purpose: 'sse' }, { authorization: `Bearer ${session.token}` });
    await send(server, 'POST', '/api/logout', { authorization: `Bearer ${session.token}` });

    const response = await openEvents(ticket);
    assert.equal(response.status, 401);
  });
});

describe('database key tickets', () => {
  let key: string;
  before(async () => {
    const response = await postJson(server, '/api/databases/other/keys', { name: 'viewer' });
    key = (await readJson(response)).key;
  });

  test('default to the key database', async () => {
    const response = await send(server, 'POST', '/api/tickets', { authorization: `Bearer ${key}` }, { purpose: 'sse' });
    assert.equal(response.status, 201);
    assert.equal((await readJson(response)).db, 'other');
  });

  test('other database gets 403', async () => {
    const response = await send(server, 'POST', '/api/tickets', { authorization: `Bearer ${key}` }, { purpose: 'sse', db: 'default' });
    assert.equal(response.status, 403);
    assert.equal((await readJson(response)).code, 'DUCKLING_AUTH_SCOPE');
  });

  test('cannot open the admin stream', async () => {
    const ticket = await issue({ purpose: 'sse' }, { authorization: `Bearer ${key}` });
    const response = await send(server, 'GET', `/api/databases/other/diagnose/stream?ticket=${ticket}`);
    assert.equal(response.status, 403);
  });
});

describe('stream ends with the session', () => {
  test('logout sends auth-expired', async () => {
    const session = await login(server);
    const response = await send(server, 'GET', '/api/sync/events?db=default', { cookie: session.cookie });
    assert.equal(response.status, 200);
    const events = readServerSentEvents(response);
    await events.next();

    await send(server, 'POST', '/api/logout', { authorization: `Bearer ${session.token}` });
    const next = await events.next();
    assert.equal(next.value?.event, 'auth-expired');
    assert.match((next.value?.data as { message: string }).message, /logout/);
    assert.equal((await events.next()).done, true);
  });
});
