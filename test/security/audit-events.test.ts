import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logging/index.js';
import { readJson, startDuckling, TEST_ADMIN_PASSWORD, TEST_API_KEY, TEST_PREVIOUS_KEY, TEST_SESSION_SECRET, type RunningDuckling } from '../harness/duckling.js';
import { testSource, type TestSource } from '../harness/mariadb.js';

/**
 * One server session that changes the registry, syncs, drops a table and meets wrong keys and
 * credentials in URLs. Its audit events are checked, and every log line and response body of the
 * session is scanned for the secrets it handled.
 */
let source: TestSource;
let server: RunningDuckling;
let schema: string;
const logLines: string[] = [];
const bodies: string[] = [];
const user = `guard_${randomBytes(4).toString('hex')}`;
const sourcePassword = `Src-${randomBytes(8).toString('hex')}`;
const wrongSourcePassword = `Bad-${randomBytes(8).toString('hex')}`;
const wrongKey = `wrong-key-${randomBytes(8).toString('hex')}`;
const urlToken = `url-token-${randomBytes(8).toString('hex')}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(method: string, pathAndQuery: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers = { ...headers, 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  const response = await server.request(pathAndQuery, init);
  const text = await response.text();
  bodies.push(text);
  return { status: response.status, body: text === '' ? null : JSON.parse(text) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function auditEvents(event: string): Promise<any[]> {
  const { status, body } = await call('GET', `/api/audit?event=${event}&limit=1000`);
  assert.equal(status, 200);
  return body.events;
}

function sourceUrl(password: string): string {
  return `mysql://${user}:${password}@${source.host}:${source.port}/${schema}`;
}

before(async () => {
  source = await testSource();
  schema = await source.createSchema('guard');
  const connection = await source.connect();
  try {
    await connection.query(`
      CREATE TABLE \`${schema}\`.items (id INT PRIMARY KEY, label VARCHAR(20));
      INSERT INTO \`${schema}\`.items VALUES (1, 'a'), (2, 'b');
      CREATE TABLE \`${schema}\`.notes (id INT PRIMARY KEY, body TEXT);
      INSERT INTO \`${schema}\`.notes VALUES (1, 'n');
      CREATE USER '${user}'@'%' IDENTIFIED BY '${sourcePassword}';
      CREATE USER '${user}'@'localhost' IDENTIFIED BY '${sourcePassword}';
      GRANT SELECT ON \`${schema}\`.* TO '${user}'@'%', '${user}'@'localhost';
    `);
  } finally {
    await connection.end();
  }

  const logger = createLogger({ level: 'trace', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
  server = await startDuckling({ MYSQL_CONNECTION_STRING: '' }, { logger });
});

after(async () => {
  await server?.stop();
  const connection = await source.connect();
  try {
    await connection.query(`DROP USER IF EXISTS '${user}'@'%'; DROP USER IF EXISTS '${user}'@'localhost'`);
  } finally {
    await connection.end();
  }
});

describe('audit events', () => {
  test('database changes are audited', async () => {
    const created = await call('POST', '/api/databases', { name: 'Guard', mysqlConnectionString: sourceUrl(sourcePassword) });
    assert.equal(created.status, 200, JSON.stringify(created.body));
    const renamed = await call('PUT', '/api/databases/guard', { name: 'Guard renamed' });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    const invalid = await call('POST', '/api/databases', { name: 'Broken', mysqlConnectionString: `mysql://${user}:${sourcePassword}@` });
    assert.equal(invalid.status, 400);

    const createdEvents = await auditEvents('database.created');
    const success = createdEvents.find((event) => event.outcome === 'success');
    const failure = createdEvents.find((event) => event.outcome === 'failure');
    assert.equal(success?.target, 'guard');
    assert.equal(success?.actor.authMethod, 'api-key');
    assert.equal(success?.actor.ip, '127.0.0.1');
    assert.equal(typeof success?.requestId, 'string');
    assert.equal(failure?.target, 'Broken');
    assert.equal(failure?.detail.code, 'DUCKLING_VALIDATION_FAILED');

    const updated = await auditEvents('database.updated');
    assert.equal(updated[0]?.target, 'guard');
    assert.deepEqual(updated[0]?.detail.fields, ['name']);
  });

  test('manual sync is audited', async () => {
    const run = await call('POST', '/api/sync/full?db=guard');
    assert.equal(run.status, 200, JSON.stringify(run.body));

    const started = (await auditEvents('sync.started')).find((event) => event.detail.runId === run.body.runId);
    const completed = (await auditEvents('sync.completed')).find((event) => event.detail.runId === run.body.runId);
    assert.equal(started?.target, 'guard');
    assert.equal(started?.detail.type, 'full');
    assert.equal(started?.detail.trigger, 'manual');
    assert.equal(completed?.outcome, 'success');
    assert.equal(completed?.detail.failedTables, 0);
  });

  test('single-table sync is audited', async () => {
    const run = await call('POST', '/api/sync/table/items?db=guard');
    assert.equal(run.status, 200, JSON.stringify(run.body));

    const completed = await auditEvents('sync.completed');
    assert.ok(completed.some((event) => event.target === 'guard/items' && event.detail.type === 'table'), JSON.stringify(completed));
  });

  test('excluded table drop is audited', async () => {
    const excluded = await call('PUT', '/api/databases/guard', { sync: { excludedTables: ['notes'] } });
    assert.equal(excluded.status, 200, JSON.stringify(excluded.body));
    const run = await call('POST', '/api/sync/full?db=guard');
    assert.equal(run.status, 200, JSON.stringify(run.body));

    const dropped = await auditEvents('table.dropped');
    assert.equal(dropped[0]?.target, 'guard/notes');
    assert.equal(dropped[0]?.detail.reason, 'excluded');
    assert.equal(dropped[0]?.detail.runId, run.body.runId);
  });

  test('failed sync run is audited', async () => {
    // A source without tables fails a full run as a whole (422), before any table starts.
    const connection = await source.connect();
    try {
      await connection.query(`DROP TABLE \`${schema}\`.items, \`${schema}\`.notes`);
    } finally {
      await connection.end();
    }
    const run = await call('POST', '/api/sync/full?db=guard');
    assert.equal(run.status, 422, JSON.stringify(run.body));

    const failed = await auditEvents('sync.failed');
    assert.equal(failed[0]?.target, 'guard');
    assert.equal(failed[0]?.outcome, 'failure');
    assert.equal(failed[0]?.detail.code, 'DUCKLING_SYNC_UNSAFE');
  });

  test('wrong source password is not logged', async () => {
    const changed = await call('PUT', '/api/databases/guard', { mysqlConnectionString: sourceUrl(wrongSourcePassword) });
    assert.equal(changed.status, 502, JSON.stringify(changed.body));
    assert.equal(changed.body.code, 'DUCKLING_SOURCE_UNAVAILABLE');

    const failures = (await auditEvents('database.updated')).filter((event) => event.outcome === 'failure');
    assert.equal(failures[0]?.detail.code, 'DUCKLING_SOURCE_UNAVAILABLE');
  });

  test('rejected credentials leave no secret', async () => {
    assert.equal((await call('GET', '/api/tables?db=guard', undefined, { authorization: `Bearer ${wrongKey}` })).status, 401);
    assert.equal((await call('GET', `/api/tables?db=guard&token=${urlToken}`)).status, 400);
    assert.equal((await call('GET', `/api/tables?db=guard&apiKey=${urlToken}`)).status, 400);
  });

  test('database deletion is audited', async () => {
    const deleted = await call('DELETE', '/api/databases/guard?deleteFiles=true');
    assert.equal(deleted.status, 200, JSON.stringify(deleted.body));

    const events = await auditEvents('database.deleted');
    assert.equal(events[0]?.target, 'guard');
    assert.equal(events[0]?.detail.deleteFiles, true);
  });
});

describe('session scan', () => {
  test('logs and bodies hold no secret', async () => {
    // Give pino's destination a turn to receive the last lines.
    await new Promise((resolve) => setImmediate(resolve));
    const secrets = {
      sourcePassword,
      wrongSourcePassword,
      wrongKey,
      urlToken,
      apiKey: TEST_API_KEY,
      previousKey: TEST_PREVIOUS_KEY,
      sessionSecret: TEST_SESSION_SECRET,
      adminPassword: TEST_ADMIN_PASSWORD,
    };
    const logText = logLines.join('');
    const bodyText = bodies.join('\n');

    assert.ok(logLines.length > 20, `only ${logLines.length} log lines captured`);
    assert.match(logText, /"audit":true/);
    for (const [name, value] of Object.entries(secrets)) {
      assert.ok(!logText.includes(value), `${name} in the log`);
      assert.ok(!bodyText.includes(value), `${name} in a response body`);
    }
  });
});
