import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readServerSentEvents } from '../app/sse-reader.js';
import { createFixture, dropFixture, urlAs, type DiagnoseFixture } from '../diagnose/fixtures.js';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';

let fixture: DiagnoseFixture;
let server: RunningDuckling;

before(async () => {
  fixture = await createFixture('diagnose_http');
  server = await startDuckling({ MYSQL_CONNECTION_STRING: fixture.source.url(fixture.schema), MYSQL_MAX_RETRIES: '0' });
});

after(async () => {
  await server?.stop();
  await dropFixture(fixture);
});

test('diagnose route', async () => {
  const response = await server.request('/api/databases/default/diagnose', { method: 'POST' });
  assert.equal(response.status, 200);
  const body = await readJson(response);
  assert.equal(body.success, true);
  assert.equal(body.diagnosis.databaseId, 'default');
  assert.equal(body.diagnosis.summary.tables, 6);
  const logs = body.diagnosis.tables.find((entry: { table: string }) => entry.table === 'logs');
  assert.deepEqual(logs.watermark, { column: null, quality: 'none' });
});

test('diagnose route errors', async () => {
  const missing = await server.request('/api/databases/nope/diagnose', { method: 'POST' });
  assert.equal(missing.status, 404);
  assert.match((await readJson(missing)).message, /"nope" not found; GET \/api\/databases lists the ids/);

  const created = await postJson(server, '/api/databases', {
    name: 'Denied',
    mysqlConnectionString: urlAs(fixture, fixture.selectOnly.user, 'wrong-password'),
  });
  assert.equal(created.status, 200, await created.clone().text());
  const { database } = await readJson(created);
  const denied = await server.request(`/api/databases/${database.id}/diagnose`, { method: 'POST' });
  assert.equal(denied.status, 502);
  assert.equal((await readJson(denied)).code, 'DUCKLING_SOURCE_UNAVAILABLE');
});

test('diagnose stream order', async () => {
  const response = await server.request('/api/databases/default/diagnose/stream');
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);

  // The server ends the stream after `done`, so the loop ends.
  const events: Array<{ event: string | null; data: any }> = [];
  for await (const message of readServerSentEvents(response)) events.push(message);

  const names = events.map((message) => message.event);
  const ticks = names.filter((name) => name === 'tick').length;
  assert.deepEqual(names, ['start', ...Array<string>(ticks).fill('tick'), 'result', 'done']);
  assert.match(events[0]!.data.message, /default/);

  const { diagnosis } = events.at(-2)!.data;
  assert.equal(ticks, diagnosis.checks.length);
  assert.deepEqual(Object.keys(events[1]!.data), ['id', 'name', 'status', 'detail']);
  assert.deepEqual(events[1]!.data.id, 'connection');
  assert.deepEqual(events.at(-1)!.data, { success: true });
});

test('diagnose stream failure', async () => {
  const missing = await server.request('/api/databases/nope/diagnose/stream');
  assert.equal(missing.status, 404);

  const list = await readJson(await server.request('/api/databases'));
  const denied = list.databases.find((entry: { name: string }) => entry.name === 'Denied');
  assert.ok(denied, 'the previous test adds database Denied');
  const response = await server.request(`/api/databases/${denied.id}/diagnose/stream`);
  const events: Array<{ event: string | null; data: any }> = [];
  for await (const message of readServerSentEvents(response)) events.push(message);
  assert.deepEqual(events.map((message) => message.event), ['start', 'tick', 'diagnose-error']);
  assert.equal(events[1]!.data.status, 'fail');
  assert.match(events[2]!.data.error, /unavailable/);
});
