import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../src/logging/index.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { postJson, readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';

/** Every response body and log line of the run, to prove that no password leaks. */
const seenText: string[] = [];
const logLines: string[] = [];

let source: TestSource;
let server: RunningDuckling;
let schemaA: string;
let schemaB: string;
/** Password of a MariaDB account made for this test; it must never appear in a body or log line. */
const password = `Pw-${randomBytes(8).toString('hex')}`;
const wrongPassword = `Wrong-${randomBytes(8).toString('hex')}`;
const user = `duck_${randomBytes(4).toString('hex')}`;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function call(pathAndQuery: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const response = await server.request(pathAndQuery, init);
  const text = await response.text();
  seenText.push(text);
  return { status: response.status, body: JSON.parse(text) };
}

function send(method: string, pathAndQuery: string, body?: unknown) {
  const init: RequestInit = { method };
  if (body !== undefined) {
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(body);
  }
  return call(pathAndQuery, init);
}

function sourceUrl(schema: string, account = `${user}:${password}`): string {
  return `mysql://${account}@${source.host}:${source.port}/${schema}`;
}

async function countRows(db: string, table: string): Promise<number> {
  const { status, body } = await send('POST', `/api/query?db=${db}`, { sql: `SELECT count(*) AS n FROM ${table}` });
  assert.equal(status, 200, JSON.stringify(body));
  return Number(body.rows[0].n);
}

async function fullSync(db: string, query = ''): Promise<void> {
  const { status, body } = await send('POST', `/api/sync/full?db=${db}${query}`);
  assert.equal(status, 200, JSON.stringify(body));
  assert.equal(body.failedTables, 0, JSON.stringify(body.errors));
}

/** Finds a TCP port on 127.0.0.1 that nothing listens on. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const port = (probe.address() as { port: number }).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

before(async () => {
  source = await testSource();
  schemaA = await source.createSchema('dbapi_a');
  schemaB = await source.createSchema('dbapi_b');
  const connection = await source.connect();
  try {
    await connection.query(`
      CREATE TABLE \`${schemaA}\`.items (id INT PRIMARY KEY, label VARCHAR(20));
      INSERT INTO \`${schemaA}\`.items VALUES (1, 'a1'), (2, 'a2'), (3, 'a3');
      CREATE TABLE \`${schemaB}\`.items (id INT PRIMARY KEY, label VARCHAR(20));
      INSERT INTO \`${schemaB}\`.items VALUES (1, 'b1'), (2, 'b2'), (3, 'b3'), (4, 'b4'), (5, 'b5');
      CREATE TABLE \`${schemaB}\`.orders (id INT PRIMARY KEY);
      INSERT INTO \`${schemaB}\`.orders VALUES (10), (11);
      CREATE USER '${user}'@'%' IDENTIFIED BY '${password}';
      CREATE USER '${user}'@'localhost' IDENTIFIED BY '${password}';
      GRANT SELECT ON \`${schemaA}\`.* TO '${user}'@'%', '${user}'@'localhost';
      GRANT SELECT ON \`${schemaB}\`.* TO '${user}'@'%', '${user}'@'localhost';
    `);
  } finally {
    await connection.end();
  }

  const logger = createLogger({ level: 'debug', version: 'test', destination: { write: (line: string) => void logLines.push(line) } });
  server = await startDuckling({}, { logger });
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

describe('databases API', () => {
  test('two databases sync independently', async () => {
    const a = await send('POST', '/api/databases', { name: 'Shop A', mysqlConnectionString: sourceUrl(schemaA) });
    assert.equal(a.status, 200, JSON.stringify(a.body));
    assert.equal(a.body.database.id, 'shop_a');
    assert.equal(a.body.database.duckdbPath, 'shop_a.db');
    const b = await send('POST', '/api/databases', { name: 'Shop B', mysqlConnectionString: sourceUrl(schemaB), sync: { excludedTables: ['orders'] } });
    assert.equal(b.body.database.id, 'shop_b');

    // Both serve at once, before any sync.
    assert.deepEqual((await send('GET', '/api/tables?db=shop_a')).body, []);

    await fullSync('shop_a');
    await fullSync('shop_b');
    assert.equal(await countRows('shop_a', 'items'), 3);
    assert.equal(await countRows('shop_b', 'items'), 5);
    assert.deepEqual((await send('GET', '/api/tables?db=shop_b')).body, ['items']);

    const list = await send('GET', '/api/databases');
    const listed = list.body.databases.find((database: { id: string }) => database.id === 'shop_b');
    assert.deepEqual(listed.mysql, { host: source.host, port: source.port, schema: schemaB, user, sslMode: 'DISABLED' });
    assert.deepEqual(listed.sync, { excludedTables: ['orders'] });
    assert.equal(listed.status, 'ready');
    assert.equal('mysqlConnectionString' in listed, false);
  });

  test('sync settings reach incremental runs', async () => {
    const created = await send('POST', '/api/databases', {
      name: 'Shop C',
      mysqlConnectionString: sourceUrl(schemaA),
      sync: { watermarkColumns: { items: 'no_such_column' } },
    });
    assert.equal(created.status, 200, JSON.stringify(created.body));

    const run = await send('POST', '/api/sync/incremental?db=shop_c');
    assert.equal(run.status, 200, JSON.stringify(run.body));
    assert.ok(
      run.body.errors.some((error: string) => error.includes('"no_such_column" configured for table items in sync.watermarkColumns does not exist')),
      JSON.stringify(run.body.errors),
    );

    const invalid = await send('PUT', '/api/databases/shop_c', { sync: { lookbackSeconds: -5 } });
    assert.equal(invalid.status, 400);
    assert.match(invalid.body.message, /body.sync.lookbackSeconds must be >= 0/);
    assert.equal((await send('DELETE', '/api/databases/shop_c?deleteFiles=true')).status, 200);
  });

  test('delete leaves other untouched', async () => {
    const keep = await send('POST', '/api/databases', { name: 'Keep', mysqlConnectionString: sourceUrl(schemaA) });
    const drop = await send('POST', '/api/databases', { name: 'Drop', mysqlConnectionString: sourceUrl(schemaB) });
    await fullSync(keep.body.database.id);
    await fullSync(drop.body.database.id);

    const removed = await send('DELETE', '/api/databases/drop?deleteFiles=true');
    assert.equal(removed.status, 200, JSON.stringify(removed.body));
    assert.match(removed.body.message, /drop\.db deleted/);
    assert.equal(existsSync(path.join(server.dataPath, 'drop.db')), false);
    assert.equal((await send('GET', '/api/tables?db=drop')).status, 404);
    assert.equal((await send('DELETE', '/api/databases/drop')).status, 404);

    assert.equal(await countRows('keep', 'items'), 3);
    assert.equal(existsSync(path.join(server.dataPath, 'keep.db')), true);

    const kept = await send('DELETE', '/api/databases/keep');
    assert.match(kept.body.message, /kept in DATA_PATH/);
    assert.equal(existsSync(path.join(server.dataPath, 'keep.db')), true);
    // The kept file is never adopted by a new database of the same name.
    const again = await send('POST', '/api/databases', { name: 'Keep', mysqlConnectionString: sourceUrl(schemaA) });
    assert.equal(again.body.database.id, 'keep_1');
  });

  test('invalid connection strings', async () => {
    const cases: Array<[string, RegExp]> = [
      ['postgres://u@h/db', /scheme is "postgres"/],
      [`mysql://root@${source.host}:${source.port}/`, /schema is missing/],
      ['not a url', /not a URL/],
      [`mysql://root@${source.host}:${source.port}/x?sslmode=on`, /unknown option "sslmode"/],
    ];
    for (const [connectionString, message] of cases) {
      const { status, body } = await send('POST', '/api/databases', { name: 'Bad', mysqlConnectionString: connectionString });
      assert.equal(status, 400, connectionString);
      assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
      assert.match(body.message, message);
      assert.equal(body.details[0].field, 'body.mysqlConnectionString');
    }
    const ids = (await send('GET', '/api/databases')).body.databases.map((database: { id: string }) => database.id);
    assert.equal(ids.includes('bad'), false);
  });

  test('names give suffixed ids', async () => {
    const first = await send('POST', '/api/databases', { name: 'Dup', mysqlConnectionString: sourceUrl(schemaA) });
    const second = await send('POST', '/api/databases', { name: 'Dup', mysqlConnectionString: sourceUrl(schemaA) });
    const reserved = await send('POST', '/api/databases', { name: 'Duckling', mysqlConnectionString: sourceUrl(schemaA) });
    assert.equal(first.body.database.id, 'dup');
    assert.equal(second.body.database.id, 'dup_1');
    assert.equal(second.body.database.name, 'Dup');
    assert.equal(reserved.body.database.id, 'duckling_1');

    const blank = await send('POST', '/api/databases', { name: '  ', mysqlConnectionString: sourceUrl(schemaA) });
    assert.equal(blank.status, 400);
    assert.match(blank.body.message, /body\.name must not be empty/);
  });

  test('unknown fields are rejected', async () => {
    const post = await send('POST', '/api/databases', { name: 'X', mysqlConnectionString: sourceUrl(schemaA), id: 'x' });
    assert.equal(post.status, 400);
    assert.deepEqual(post.body.details.map((detail: { field: string }) => detail.field), ['body.id']);

    const put = await send('PUT', '/api/databases/dup', { duckdbPath: 'y.db', createdAt: 'now', name: 'Y' });
    assert.equal(put.status, 400);
    assert.deepEqual(put.body.details.map((detail: { field: string }) => detail.field), ['body.duckdbPath', 'body.createdAt']);
    assert.match(put.body.message, /takes only name, mysqlConnectionString, sync/);

    const badSync = await send('PUT', '/api/databases/dup', { sync: { excludeTables: ['a'] } });
    assert.equal(badSync.status, 400);
    assert.match(badSync.body.message, /body\.sync\.excludeTables/);

    // Every problem of the body is listed together: the unknown field and each invalid sync setting.
    const both = await send('POST', '/api/databases', {
      id: 'x', name: 'X', mysqlConnectionString: sourceUrl(schemaA), sync: { lookbackSeconds: -1, watermarkColumns: { ties: 5 } },
    });
    assert.equal(both.status, 400);
    const fields = both.body.details.map((detail: { field: string }) => detail.field);
    assert.ok(fields.includes('body.id'), fields.join(', '));
    assert.ok(fields.includes('body.sync.lookbackSeconds'), fields.join(', '));
    assert.ok(fields.includes('body.sync.watermarkColumns.ties'), fields.join(', '));
    assert.match(both.body.message, /body\.sync\.watermarkColumns\.ties must be a column name in a string, found 5/);

    const numberColumn = await send('PUT', '/api/databases/dup', { sync: { watermarkColumns: { ties: 5 } } });
    assert.equal(numberColumn.status, 400);
    assert.deepEqual(numberColumn.body.details.map((detail: { field: string }) => detail.field), ['body.sync.watermarkColumns.ties']);

    assert.equal((await send('PUT', '/api/databases/nope', { name: 'Z' })).status, 404);
    assert.equal((await send('GET', '/api/databases')).body.databases.find((database: { id: string }) => database.id === 'dup').name, 'Dup');
  });

  test('changed source needs resync', async () => {
    const created = await send('POST', '/api/databases', { name: 'Switch', mysqlConnectionString: sourceUrl(schemaA) });
    const id = created.body.database.id;
    await fullSync(id);

    // The same source with another option is no change of source.
    const same = await send('PUT', `/api/databases/${id}`, { mysqlConnectionString: `${sourceUrl(schemaA)}?connectTimeout=5000`, name: 'Switch 2' });
    assert.equal(same.status, 200, JSON.stringify(same.body));
    assert.equal(same.body.database.name, 'Switch 2');

    const refused = await send('PUT', `/api/databases/${id}`, { mysqlConnectionString: sourceUrl(schemaB) });
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, 'DUCKLING_SOURCE_CHANGED');
    assert.match(refused.body.message, new RegExp(`schema "${schemaB}" instead of "${schemaA}"`));
    assert.match(refused.body.message, /resync=true/);
    assert.equal((await send('GET', '/api/databases')).body.databases.find((database: { id: string }) => database.id === id).mysql.schema, schemaA);

    const accepted = await send('PUT', `/api/databases/${id}?resync=true`, { mysqlConnectionString: sourceUrl(schemaB) });
    assert.equal(accepted.status, 200, JSON.stringify(accepted.body));
    assert.equal(accepted.body.database.mysql.schema, schemaB);
    await fullSync(id);
    assert.equal(await countRows(id, 'items'), 5);
    assert.equal(await countRows(id, 'orders'), 2);
  });

  test('test route reports failures', async () => {
    const good = await send('POST', '/api/databases', { name: 'Good', mysqlConnectionString: sourceUrl(schemaA) });
    const ok = await send('POST', `/api/databases/${good.body.database.id}/test`);
    assert.equal(ok.status, 200);
    assert.equal(ok.body.success, true);
    assert.deepEqual(ok.body.connections, { mysql: true, duckdb: true });
    assert.match(ok.body.details.mysqlVersion, /MariaDB/i);
    assert.equal(typeof ok.body.details.latencyMs, 'number');

    const port = await closedPort();
    const down = await send('POST', '/api/databases', { name: 'Down', mysqlConnectionString: `mysql://root@127.0.0.1:${port}/${schemaA}` });
    const unreachable = await send('POST', `/api/databases/${down.body.database.id}/test`);
    assert.equal(unreachable.body.success, false);
    assert.deepEqual(unreachable.body.connections, { mysql: false, duckdb: true });
    assert.match(unreachable.body.details.error, new RegExp(`127\\.0\\.0\\.1:${port} is unavailable: connection refused`));

    const denied = await send('POST', '/api/databases', { name: 'Denied', mysqlConnectionString: sourceUrl(schemaA, `${user}:${wrongPassword}`) });
    const rejected = await send('POST', `/api/databases/${denied.body.database.id}/test`);
    assert.equal(rejected.body.success, false);
    assert.equal(rejected.body.connections.mysql, false);
    assert.match(rejected.body.details.error, new RegExp(`login as user "${user}" was rejected`));

    // A broken database does not block the others.
    assert.equal(await countRows('shop_a', 'items'), 3);
    assert.equal((await send('POST', '/api/databases/missing/test')).status, 404);
  });

  test('password never leaks', () => {
    assert.ok(seenText.length > 20);
    assert.ok(logLines.length > 20);
    for (const secret of [password, wrongPassword]) {
      for (const text of seenText) assert.equal(text.includes(secret), false, `response body contains the password: ${text.slice(0, 200)}`);
      for (const line of logLines) assert.equal(line.includes(secret), false, `log line contains the password: ${line.slice(0, 200)}`);
    }
  });
});
