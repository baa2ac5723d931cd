import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DucklingError } from '../../src/errors/index.js';
import { buildJsonBody, csvLines, ndjsonLines, type QueryStream } from '../../src/query/index.js';
import { openReplicaFixture, type ReplicaFixture } from './replica-fixture.js';

let fixture: ReplicaFixture;

before(async () => {
  fixture = await openReplicaFixture(async (connection) => {
    await connection.run('CREATE TABLE payment (id BIGINT PRIMARY KEY, amount DECIMAL(5,2), note VARCHAR)');
    await connection.run(`INSERT INTO payment VALUES (1, 2.99, 'a'), (2, 0.99, NULL), (3, 5.99, '')`);
  });
});
after(async () => {
  await fixture.close();
});

async function rejection(promise: Promise<unknown>): Promise<DucklingError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DucklingError, `expected a DucklingError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

async function collect(stream: QueryStream): Promise<unknown[][]> {
  const rows: unknown[][] = [];
  for await (const row of stream.rows) rows.push(row);
  return rows;
}

async function text(lines: AsyncIterable<string>): Promise<string> {
  let output = '';
  for await (const line of lines) output += line;
  return output;
}

describe('QueryService params', () => {
  test('positional with ?', async () => {
    const result = await fixture.service.execute(fixture.request('SELECT id FROM payment WHERE id = ? OR note = ?', { params: [2, 'a'] }));
    assert.deepEqual(result.rows, [[1], [2]]);
  });

  test('positional with $n', async () => {
    const result = await fixture.service.execute(fixture.request('SELECT $2 AS b, $1 AS a', { params: ['x', 'y'] }));
    assert.deepEqual(result.rows, [['y', 'x']]);
  });

  test('named with $name', async () => {
    const result = await fixture.service.execute(fixture.request('SELECT id FROM payment WHERE amount > $min ORDER BY id', { params: { min: 1 } }));
    assert.deepEqual(result.rows, [[1], [3]]);
  });

  test('bound types', async () => {
    const result = await fixture.service.execute(fixture.request(
      'SELECT typeof($1), typeof($2), typeof($3), typeof($4), $5 IS NULL, $1 + 1',
      { params: [9007199254740991, 1.5, 'text', true, null] },
    ));
    assert.deepEqual(result.rows, [['BIGINT', 'DOUBLE', 'VARCHAR', 'BOOLEAN', true, '9007199254740992']]);
  });

  test('nested value rejected', async () => {
    const error = await rejection(fixture.service.execute(fixture.request('SELECT $1', { params: [[1, 2]] })));
    assert.equal(error.code, 'DUCKLING_QUERY_INVALID');
    assert.match(error.message, /parameter 1 is an array/);
    const named = await rejection(fixture.service.execute(fixture.request('SELECT $x', { params: { x: { y: 1 } } })));
    assert.match(named.message, /parameter "x" is an object/);
  });

  test('unknown name rejected', async () => {
    const error = await rejection(fixture.service.execute(fixture.request('SELECT $x', { params: { y: 1 } })));
    assert.equal(error.statusCode, 400);
    assert.match(error.message, /"y"/);
  });

  test('too many params rejected', async () => {
    const error = await rejection(fixture.service.execute(fixture.request('SELECT ?', { params: [1, 2] })));
    assert.equal(error.statusCode, 400);
  });

  test('missing param rejected', async () => {
    const error = await rejection(fixture.service.execute(fixture.request('SELECT ?, ?', { params: [1] })));
    assert.equal(error.statusCode, 400);
  });
});

describe('QueryService results', () => {
  test('maxRows sets truncated', async () => {
    const capped = await fixture.service.execute(fixture.request('SELECT * FROM range(10)', { maxRows: 3 }));
    assert.equal(capped.rowCount, 3);
    assert.equal(capped.truncated, true);
    const exact = await fixture.service.execute(fixture.request('SELECT * FROM range(10)', { maxRows: 10 }));
    assert.equal(exact.rowCount, 10);
    assert.equal(exact.truncated, false);
  });

  test('truncation across chunks', async () => {
    const capped = await fixture.service.execute(fixture.request('SELECT * FROM range(5000)', { maxRows: 4096 }));
    assert.equal(capped.rows.length, 4096);
    assert.equal(capped.truncated, true);
    assert.deepEqual(capped.rows[4095], [4095]);
    const all = await fixture.service.execute(fixture.request('SELECT * FROM range(5000)', { maxRows: 5000 }));
    assert.equal(all.truncated, false);
  });

  test('duplicate column names', async () => {
    const result = await fixture.service.execute(fixture.request('SELECT 1 AS a, 2 AS a, 3 AS a_1, 4 AS a'));
    assert.deepEqual(result.columns.map((column) => column.name), ['a', 'a_2', 'a_1', 'a_3']);
    const body = buildJsonBody(result, { db: 'default' });
    assert.deepEqual(body.rows, [{ a: 1, a_2: 2, a_1: 3, a_3: 4 }]);
  });

  test('column types', async () => {
    const result = await fixture.service.execute(fixture.request("SELECT amount, now()::TIMESTAMPTZ AS at FROM payment LIMIT 1"));
    assert.deepEqual(result.columns.map((column) => column.type), ['DECIMAL(5,2)', 'TIMESTAMP WITH TIME ZONE']);
  });

  test('JSON column keeps its type name', async () => {
    const result = await fixture.service.execute(fixture.request(`SELECT '{"a": 1}'::JSON AS doc`));
    assert.deepEqual(result.columns, [{ name: 'doc', type: 'JSON' }]);
    assert.deepEqual(result.rows, [['{"a": 1}']]);
  });

  test('syntax error is 400', async () => {
    const error = await rejection(fixture.service.execute(fixture.request('SELECT FROM WHERE')));
    assert.equal(error.code, 'DUCKLING_QUERY_INVALID');
    assert.equal(error.statusCode, 400);
  });

  test('json body shape', async () => {
    const result = await fixture.service.execute(fixture.request('SELECT id, amount FROM payment ORDER BY id', { maxRows: 2 }));
    const body = buildJsonBody(result, { db: 'default', rowFormat: 'array' });
    assert.deepEqual(body.rows, [[1, '2.99'], [2, '0.99']]);
    assert.equal(body.truncated, true);
    assert.equal(body.database, 'duckdb');
    assert.equal(body.db, 'default');
  });
});

describe('QueryService stream', () => {
  test('stream capping', async () => {
    const stream = await fixture.service.stream(fixture.request('SELECT * FROM range(5000)', { maxRows: 2500 }));
    const rows = await collect(stream);
    assert.equal(rows.length, 2500);
    assert.deepEqual(stream.summary().truncated, true);
    assert.equal(stream.summary().rowCount, 2500);
    assert.equal(fixture.service.governorStats().running, 0);
  });

  test('stream without cap reached', async () => {
    const stream = await fixture.service.stream(fixture.request('SELECT * FROM range(3)', { maxRows: 3 }));
    assert.deepEqual(await collect(stream), [[0], [1], [2]]);
    assert.equal(stream.summary().truncated, false);
  });

  test('early stop releases slot', async () => {
    const stream = await fixture.service.stream(fixture.request('SELECT * FROM range(100000)', { maxRows: 100000 }));
    for await (const row of stream.rows) if (row[0] === 10) break;
    assert.equal(fixture.service.governorStats().running, 0);
  });

  test('close without reading', async () => {
    const stream = await fixture.service.stream(fixture.request('SELECT 1'));
    stream.close();
    assert.equal(fixture.service.governorStats().running, 0);
  });

  test('syntax error before rows', async () => {
    const error = await rejection(fixture.service.stream(fixture.request('SELEC 1')));
    assert.equal(error.statusCode, 400);
    assert.equal(fixture.service.governorStats().running, 0);
  });

  test('ndjson lines', async () => {
    const stream = await fixture.service.stream(fixture.request('SELECT id, note FROM payment ORDER BY id', { maxRows: 2 }));
    const lines = (await text(ndjsonLines(stream))).trimEnd().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(lines[0], { type: 'meta', columns: [{ name: 'id', type: 'BIGINT' }, { name: 'note', type: 'VARCHAR' }] });
    assert.deepEqual(lines[1], [1, 'a']);
    assert.deepEqual(lines[2], [2, null]);
    assert.equal(lines[3]!.type, 'end');
    assert.equal(lines[3]!.rowCount, 2);
    assert.equal(lines[3]!.truncated, true);
  });

  test('ndjson error line', async () => {
    // A stream whose rows fail after the first one, as when DuckDB raises mid-result.
    let closed = false;
    async function* failingRows(): AsyncGenerator<never[]> {
      yield [];
      throw new DucklingError('DUCKLING_QUERY_INVALID', { detail: 'Invalid Input Error: boom' });
    }
    const stream: QueryStream = {
      columns: [],
      rows: failingRows(),
      summary: () => ({ rowCount: 1, truncated: false, durationMs: 0 }),
      close: () => {
        closed = true;
      },
    };
    const lines = (await text(ndjsonLines(stream))).trimEnd().split('\n');
    const last = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>;
    assert.equal(lines.length, 3);
    assert.equal(last.type, 'error');
    assert.equal(last.code, 'DUCKLING_QUERY_INVALID');
    assert.match(String(last.message), /boom/);
    assert.equal(closed, true);
  });

  test('csv text', async () => {
    const stream = await fixture.service.stream(fixture.request("SELECT id, note, 'x,y' AS pair FROM payment ORDER BY id"));
    assert.equal(await text(csvLines(stream)), 'id,note,pair\r\n1,a,"x,y"\r\n2,,"x,y"\r\n3,"","x,y"\r\n');
  });
});
