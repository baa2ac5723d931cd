import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { testSource } from '../harness/mariadb.js';
import { postJson, readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { readServerSentEvents } from './sse-reader.js';

/** Row counts of the Sakila sample database. */
const SAKILA_COUNTS: Record<string, number> = {
  actor: 200,
  address: 603,
  category: 16,
  city: 600,
  country: 109,
  customer: 599,
  film: 1000,
  film_actor: 5462,
  film_category: 1000,
  film_text: 1000,
  inventory: 4581,
  language: 6,
  payment: 16049,
  rental: 16044,
  staff: 2,
  store: 2,
};

let server: RunningDuckling;

before(async () => {
  const source = await testSource();
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila') });
  const response = await server.request('/api/sync/full', { method: 'POST' });
  assert.equal(response.status, 200, await response.clone().text());
});

after(async () => {
  await server?.stop();
});

describe('sync and table routes', () => {
  test('counts equal Sakila', async () => {
    const response = await server.request('/api/tables/counts/all');
    assert.equal(response.status, 200);
    assert.deepEqual(await readJson(response), SAKILA_COUNTS);
  });

  test('table list is sorted', async () => {
    const body = await readJson(await server.request('/api/tables'));
    assert.deepEqual(body, Object.keys(SAKILA_COUNTS).sort());
  });

  test('root alias serves same handler', async () => {
    const body = await readJson(await server.request('/tables/actor/count'));
    assert.deepEqual(body, { count: 200 });
  });

  test('table count and data page', async () => {
    assert.deepEqual(await readJson(await server.request('/api/tables/payment/count')), { count: 16049 });

    const rows = await readJson(await server.request('/api/tables/actor/data?limit=2&offset=1'));
    assert.equal(rows.length, 2);
    assert.equal(rows[0].actor_id, 2);
    assert.equal(rows[1].actor_id, 3);
  });

  test('table schema keeps source types', async () => {
    const body = await readJson(await server.request('/api/tables/payment/schema'));
    const amount = body.columns.find((column: { column_name: string }) => column.column_name === 'amount');
    assert.equal(body.table, 'payment');
    assert.equal(amount.mysql_type, 'decimal(5,2)');
    assert.equal(amount.column_type, 'DECIMAL(5,2)');
    assert.equal(amount.null, 'NO');
    const rentalId = body.columns.find((column: { column_name: string }) => column.column_name === 'rental_id');
    assert.equal(rentalId.null, 'YES');
    assert.equal(rentalId.default_value, null);
    const lastUpdate = body.columns.find((column: { column_name: string }) => column.column_name === 'last_update');
    assert.equal(lastUpdate.default_value, 'current_timestamp()');
    assert.match(lastUpdate.extra, /on update current_timestamp/i);
  });

  test('unknown table gets 404', async () => {
    const response = await server.request('/api/tables/no_such_table/count');
    const body = await readJson(response);
    assert.equal(response.status, 404);
    assert.equal(body.code, 'DUCKLING_TABLE_NOT_FOUND');
    assert.match(body.message, /no_such_table/);
  });

  test('unknown database gets 404', async () => {
    const response = await server.request('/api/tables?db=other');
    const body = await readJson(response);
    assert.equal(response.status, 404);
    assert.equal(body.code, 'DUCKLING_DATABASE_NOT_FOUND');
    assert.match(body.message, /"other"/);
  });

  test('invalid query string gets details', async () => {
    const response = await server.request('/api/tables/actor/data?limit=0');
    const body = await readJson(response);
    assert.equal(response.status, 400);
    assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
    assert.equal(body.details[0].field, 'querystring.limit');
  });

  test('sync status lists tables', async () => {
    const body = await readJson(await server.request('/api/sync/status'));
    assert.equal(body.tables.duckdb, 16);
    assert.ok(Array.isArray(body.recentLogs));
  });

  test('sync logs page', async () => {
    const body = await readJson(await server.request('/api/sync-logs?limit=5&status=success'));
    assert.equal(body.success, true);
    assert.equal(body.logs.length, 5);
    assert.equal(body.limit, 5);
    assert.ok(body.total >= 16);
  });

  test('single table sync', async () => {
    const response = await server.request('/api/sync/table/language?mode=full', { method: 'POST' });
    const body = await readJson(response);
    assert.equal(response.status, 200);
    assert.equal(body.table, 'language');
    assert.equal(body.status, 'success');
    assert.equal(body.recordsProcessed, 6);
  });

  test('single table sync rejects unknown mode', async () => {
    const response = await server.request('/api/sync/table/language?mode=sometimes', { method: 'POST' });
    assert.equal(response.status, 400);
    const body = await readJson(response);
    assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
    assert.deepEqual(body.details, [{ field: 'querystring.mode', message: 'must be one of: auto, full, incremental' }]);
  });

  test('single table sync of unknown table', async () => {
    const response = await server.request('/api/sync/table/no_such_table', { method: 'POST' });
    assert.equal(response.status, 404);
    assert.equal((await readJson(response)).code, 'DUCKLING_TABLE_NOT_FOUND');
  });

  test('status describes the database', async () => {
    const body = await readJson(await server.request('/status'));
    const [database] = body.databases;
    assert.equal(database.databaseId, 'default');
    assert.deepEqual(database.tables, { mysql: 16, duckdb: 16 });
    assert.ok(database.fileSizeBytes > 0);
  });

  test('admin health shows services', async () => {
    const body = await readJson(await server.request('/health'));
    assert.equal(body.status, 'healthy');
    assert.deepEqual(body.databases[0].services, { mysql: 'up', duckdb: 'up' });
  });
});

describe('request bodies', () => {
  test('malformed JSON gets 400', async () => {
    const response = await server.request('/api/query', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"sql": "SELECT 1",',
    });
    const body = await readJson(response);
    assert.equal(response.status, 400);
    assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
    assert.match(body.message, /not valid JSON/);
  });

  test('oversized body gets 413', async () => {
    const sql = `SELECT '${'x'.repeat(10 * 1024 * 1024)}' AS big`;
    const response = await postJson(server, '/api/query', { sql });
    const body = await readJson(response);
    assert.equal(response.status, 413);
    assert.equal(body.code, 'DUCKLING_PAYLOAD_TOO_LARGE');
  });

  test('source queries are rejected', async () => {
    const response = await postJson(server, '/api/query', { sql: 'SELECT 1', database: 'mysql' });
    const body = await readJson(response);
    assert.equal(response.status, 400);
    assert.equal(body.code, 'DUCKLING_VALIDATION_FAILED');
    assert.equal(body.details[0].field, 'body.database');
  });
});

describe('query formats', () => {
  test('JSON matches MariaDB values', async () => {
    const source = await testSource();
    const connection = await source.connect('sakila');
    let expected: Record<string, string>;
    try {
      await connection.query("SET time_zone = '+00:00'");
      const [rows] = await connection.query('SELECT amount, payment_date, last_update FROM payment WHERE payment_id = 1');
      expected = (rows as Array<Record<string, string>>)[0]!;
    } finally {
      await connection.end();
    }

    const response = await postJson(server, '/api/query', {
      sql: 'SELECT payment_id, amount, payment_date, last_update FROM payment WHERE payment_id = $id',
      params: { id: 1 },
    });
    const body = await readJson(response);

    assert.equal(response.status, 200);
    assert.deepEqual(body.columns, [
      { name: 'payment_id', type: 'USMALLINT' },
      { name: 'amount', type: 'DECIMAL(5,2)' },
      { name: 'payment_date', type: 'TIMESTAMP_S' },
      { name: 'last_update', type: 'TIMESTAMP WITH TIME ZONE' },
    ]);
    assert.deepEqual(body.rows, [
      {
        payment_id: 1,
        amount: expected.amount,
        payment_date: expected.payment_date,
        last_update: `${expected.last_update!.replace(' ', 'T')}.000Z`,
      },
    ]);
    assert.equal(body.rowCount, 1);
    assert.equal(body.truncated, false);
    assert.equal(body.db, 'default');
    assert.equal(body.database, 'duckdb');
  });

  test('JSON array rows and truncation', async () => {
    const response = await postJson(server, '/api/query', {
      sql: 'SELECT actor_id FROM actor ORDER BY actor_id',
      rowFormat: 'array',
      maxRows: 2,
    });
    const body = await readJson(response);
    assert.deepEqual(body.rows, [[1], [2]]);
    assert.equal(body.rowCount, 2);
    assert.equal(body.truncated, true);
  });

  test('NDJSON lines', async () => {
    const response = await postJson(
      server,
      '/api/query',
      { sql: "SELECT 9007199254740993::BIGINT AS big, 1.5::DOUBLE AS f, 'é😀' AS s" },
      { accept: 'application/x-ndjson' },
    );
    const lines = (await response.text()).split('\n');

    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^application\/x-ndjson/);
    assert.equal(lines[0], '{"type":"meta","columns":[{"name":"big","type":"BIGINT"},{"name":"f","type":"DOUBLE"},{"name":"s","type":"VARCHAR"}]}');
    assert.equal(lines[1], '["9007199254740993",1.5,"é😀"]');
    assert.match(lines[2]!, /^\{"type":"end","rowCount":1,"truncated":false,"durationMs":\d+\}$/);
    assert.equal(lines[3], '');
    assert.equal(lines.length, 4);
  });

  test('CSV body, header and trailer', async () => {
    const sql = `SELECT 1 AS n, 'a,b' AS s, NULL AS z, '' AS e, 'say "hi"' AS q, 2.50::DECIMAL(5,2) AS d
                 UNION ALL SELECT 2, 'x', 'y', 'line
break', '', 0.01`;
    const { status, headers, body, trailers } = await rawPost(`${server.url}/api/query?format=csv`, { sql, maxRows: 5 });

    assert.equal(status, 200);
    assert.match(String(headers['content-type']), /^text\/csv/);
    assert.equal(headers['duckling-max-rows'], '5');
    assert.equal(body, 'n,s,z,e,q,d\r\n1,"a,b",,"","say ""hi""",2.50\r\n2,x,y,"line\nbreak","",0.01\r\n');
    assert.equal(trailers['duckling-truncated'], 'false');
  });

  test('CSV truncation trailer', async () => {
    const { body, trailers } = await rawPost(`${server.url}/api/query`, { sql: 'SELECT actor_id FROM actor', format: 'csv', maxRows: 3 });
    assert.equal(body.split('\r\n').length, 5);
    assert.equal(trailers['duckling-truncated'], 'true');
  });

  test('client disconnect interrupts query', async () => {
    const request = http.request(`${server.url}/api/query`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}` },
    });
    request.on('error', () => undefined);
    request.end(JSON.stringify({ sql: 'SELECT count(*) FROM range(1000000000000) a WHERE a.range % 7 = 3' }));

    // Poll the governor through /status: first until the query runs, then until it is gone.
    const running = async () => (await readJson(await server.request('/status'))).governor.running as number;
    let started = false;
    for (let attempt = 0; attempt < 500 && !started; attempt += 1) {
      started = (await running()) > 0;
      if (!started) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(started, 'the query never started');

    request.destroy();
    let stopped = false;
    for (let attempt = 0; attempt < 500 && !stopped; attempt += 1) {
      stopped = (await running()) === 0;
      if (!stopped) await new Promise((resolve) => setTimeout(resolve, 10));
    }
    assert.ok(stopped, 'the query kept running after the client disconnected');
  });

  test('read-only rejection passes through', async () => {
    const response = await postJson(server, '/api/query', { sql: 'DELETE FROM actor' });
    const body = await readJson(response);
    assert.equal(response.status, 403);
    assert.equal(body.code, 'DUCKLING_QUERY_READ_ONLY');
    assert.deepEqual(await readJson(await server.request('/api/tables/actor/count')), { count: 200 });
  });
});

describe('sync events', () => {
  test('stream delivers progress', async () => {
    const controller = new AbortController();
    const response = await server.request('/api/sync/events', { signal: controller.signal });
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/event-stream/);
    assert.equal(response.headers.get('cache-control'), 'no-store');
    assert.equal(response.headers.get('x-accel-buffering'), 'no');

    const events = readServerSentEvents(response);
    const first = (await events.next()).value as { data: { progress: { inProgress: boolean }; syncStatus: { tables: unknown } } };
    assert.equal(first.data.progress.inProgress, false);
    assert.ok(first.data.syncStatus.tables);

    const started = await server.request('/api/sync/full?async=true', { method: 'POST' });
    assert.equal(started.status, 202);
    const { runId } = await readJson(started);
    assert.match(runId, /\S/);

    // Read until the run is reported finished; the run ends, so the loop ends.
    let sawRunning = false;
    let finished = false;
    for await (const message of events) {
      const progress = (message.data as { progress: { inProgress: boolean; runId: string | null } }).progress;
      assert.equal(Object.keys(message.data as object).join(), 'progress');
      if (progress.inProgress && progress.runId === runId) sawRunning = true;
      if (sawRunning && !progress.inProgress) {
        finished = true;
        break;
      }
    }
    controller.abort();
    assert.ok(sawRunning, 'no progress message of the run arrived');
    assert.ok(finished, 'the stream ended before the run finished');
  });
});

/** POST with node:http, which exposes response trailers (fetch does not). */
function rawPost(
  url: string,
  body: unknown,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string; trailers: NodeJS.Dict<string> }> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_API_KEY}`, 'content-length': Buffer.byteLength(payload) },
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, headers: response.headers, body: Buffer.concat(chunks).toString('utf8'), trailers: response.trailers }),
        );
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}
