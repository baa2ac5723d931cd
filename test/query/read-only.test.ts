import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DucklingError } from '../../src/errors/index.js';
import { openReplicaFixture, type ReplicaFixture } from './replica-fixture.js';

let fixture: ReplicaFixture;

/** Tables and their row counts, read on the writer connection. */
async function replicaState(): Promise<string> {
  return fixture.replica.withWriter(async (connection) => {
    const tables = await connection.runAndReadAll(
      `SELECT schema_name || '.' || table_name AS name FROM duckdb_tables() ORDER BY 1`,
    );
    const counts: string[] = [];
    for (const [name] of tables.getRows()) {
      const [schema, table] = String(name).split('.');
      const count = await connection.runAndReadAll(`SELECT count(*) FROM "${schema}"."${table}"`);
      counts.push(`${String(name)}=${String(count.getRows()[0]![0])}`);
    }
    const views = await connection.runAndReadAll('SELECT count(*) FROM duckdb_views() WHERE NOT internal');
    const attached = await connection.runAndReadAll('SELECT count(*) FROM duckdb_databases()');
    return `${counts.join(',')} views=${String(views.getRows()[0]![0])} databases=${String(attached.getRows()[0]![0])}`;
  });
}

async function rejection(sql: string): Promise<DucklingError> {
  try {
    await fixture.service.execute(fixture.request(sql));
  } catch (error) {
    assert.ok(error instanceof DucklingError, `expected a DucklingError for ${sql}, got ${String(error)}`);
    return error;
  }
  assert.fail(`statement was accepted: ${sql}`);
}

before(async () => {
  fixture = await openReplicaFixture(async (connection) => {
    await connection.run('CREATE TABLE film (id INTEGER PRIMARY KEY, title VARCHAR)');
    await connection.run("INSERT INTO film VALUES (1, 'ACADEMY DINOSAUR'), (2, 'ACE GOLDFINGER')");
  });
});
after(async () => {
  await fixture.close();
});

describe('read-only rejects', () => {
  const forbidden: Array<[string, number, string]> = [
    ["SELECT * FROM read_csv('/etc/passwd')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["SELECT * FROM read_text('/etc/hostname')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["SELECT * FROM glob('/tmp/*')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["COPY film TO '/tmp/duckling-read-only-test.csv'", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["COPY (SELECT 1) TO '/tmp/duckling-read-only-test.csv'", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["ATTACH '/tmp/duckling-read-only-test.db' AS other", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["ATTACH ':memory:' AS other", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['DETACH other', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['INSTALL httpfs', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['LOAD json', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['SET threads = 1', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["SET TimeZone = 'America/New_York'", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['RESET threads', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['PRAGMA enable_profiling', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['CREATE TABLE extra (a INTEGER)', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['CREATE TEMP TABLE scratch AS SELECT 1 AS a', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['CREATE VIEW film_view AS SELECT * FROM film', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['CREATE MACRO twice(x) AS x * 2', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['DROP TABLE film', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['ALTER TABLE film ADD COLUMN rating INTEGER', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["INSERT INTO film VALUES (3, 'ADAPTATION HOLES')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["UPDATE film SET title = 'X'", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['DELETE FROM film', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['CHECKPOINT', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['VACUUM', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["EXPORT DATABASE '/tmp/duckling-read-only-export'", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['CALL pragma_version()', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['BEGIN TRANSACTION', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['COMMIT', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['ROLLBACK', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["EXPLAIN ANALYZE INSERT INTO film VALUES (4, 'AFFAIR PREJUDICE')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['EXPLAIN DELETE FROM film', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['EXPLAIN /* note */ ANALYZE\nDROP TABLE film', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['EXPLAIN ANALYZE /* /* nested */ */ SELECT 1', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["PRAGMA table_info('film')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['SELECT * FROM checkpoint()', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['SELECT * FROM main.force_checkpoint()', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['SELECT 1 WHERE 1 IN (SELECT 1 FROM ENABLE_PEG_PARSER())', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['WITH x AS MATERIALIZED (SELECT * FROM checkpoint()) SELECT 1', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['SUMMARIZE SELECT * FROM checkpoint()', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['EXPLAIN ANALYZE SELECT * FROM force_checkpoint()', 403, 'DUCKLING_QUERY_READ_ONLY'],
    ["SELECT * FROM query('SELECT * FROM checkpoint()')", 403, 'DUCKLING_QUERY_READ_ONLY'],
    ['SELECT 1; DROP TABLE film', 400, 'DUCKLING_QUERY_INVALID'],
    ['SELECT 1; SELECT 2', 400, 'DUCKLING_QUERY_INVALID'],
    ['', 400, 'DUCKLING_QUERY_INVALID'],
    ['-- only a comment', 400, 'DUCKLING_QUERY_INVALID'],
  ];

  for (const [sql, status, code] of forbidden) {
    test(sql.replace(/\s+/g, ' ') || '(empty)', async () => {
      const before = await replicaState();
      const error = await rejection(sql);
      assert.equal(error.code, code, error.message);
      assert.equal(error.statusCode, status);
      // The second attempt is answered from the verdict cache and must be rejected the same way.
      const repeated = await rejection(sql);
      assert.equal(repeated.code, code, repeated.message);
      assert.equal(await replicaState(), before);
    });
  }
});

describe('read-only accepts', () => {
  const allowed = [
    'SELECT * FROM film',
    'FROM film',
    'WITH t AS (SELECT id FROM film) SELECT count(*) FROM t',
    'DESCRIBE film',
    'SHOW TABLES',
    'SUMMARIZE film',
    'EXPLAIN SELECT * FROM film',
    'EXPLAIN ANALYZE SELECT count(*) FROM film',
    'EXPLAIN (FORMAT json) SELECT 1',
    'SELECT * FROM _duckling.meta',
    'VALUES (1, 2)',
    "SELECT * FROM query_table('film')",
    'SELECT * FROM range(3)',
    'SELECT 1;',
  ];
  for (const sql of allowed) {
    test(sql, async () => {
      const result = await fixture.service.execute(fixture.request(sql));
      assert.ok(result.columns.length > 0);
    });
  }
});

describe('read-only messages', () => {
  test('names the statement type', async () => {
    const error = await rejection("INSERT INTO film VALUES (5, 'AFRICAN EGG')");
    assert.match(error.message, /INSERT statements are not allowed/);
  });

  test('passes the parser message', async () => {
    const error = await rejection('SELEC 1');
    assert.equal(error.code, 'DUCKLING_QUERY_INVALID');
    assert.match(error.message, /syntax error/);
  });

  test('reports unknown table', async () => {
    const error = await rejection('SELECT * FROM missing_table');
    assert.equal(error.statusCode, 400);
    assert.match(error.message, /missing_table/);
  });
});

test('verdict cache keeps the most recent entries', async () => {
  const { VerdictCache } = await import('../../src/query/syntax-tree.js');
  const cache = new VerdictCache(2);
  cache.set('a', null);
  cache.set('b', 'reason b');
  assert.equal(cache.get('a'), null);
  cache.set('c', null);
  assert.equal(cache.get('b'), undefined);
  assert.equal(cache.get('a'), null);
  assert.equal(cache.get('c'), null);
  assert.equal(cache.size, 2);
});

test('INSTALL rejection names INSTALL', async () => {
  const error = await rejection('INSTALL httpfs');
  assert.match(error.message, /INSTALL and LOAD statements are not allowed/);
});
