import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DucklingError } from '../../src/errors/index.js';
import { TableService } from '../../src/query/index.js';
import { STAGING_PREFIX } from '../../src/replica/index.js';
import { openReplicaFixture, type ReplicaFixture } from './replica-fixture.js';

let fixture: ReplicaFixture;
let tables: TableService;

const ACTOR_SOURCE_COLUMNS = JSON.stringify([
  { name: 'actor_id', columnType: 'smallint(5) unsigned', nullable: false, columnKey: 'PRI', default: { kind: 'none' }, extra: 'auto_increment' },
  { name: 'first_name', columnType: 'varchar(45)', nullable: false, columnKey: '', default: { kind: 'none' }, extra: '' },
  { name: 'last_update', columnType: 'timestamp', nullable: false, columnKey: 'MUL', default: { kind: 'expression', value: 'current_timestamp()' }, extra: 'on update current_timestamp()' },
]);

before(async () => {
  fixture = await openReplicaFixture(async (connection) => {
    await connection.run('CREATE TABLE actor (actor_id USMALLINT NOT NULL, first_name VARCHAR NOT NULL, last_update TIMESTAMPTZ)');
    await connection.run("COMMENT ON COLUMN actor.actor_id IS 'smallint(5) unsigned'");
    await connection.run("COMMENT ON COLUMN actor.first_name IS 'varchar(45)'");
    await connection.run(`INSERT INTO actor VALUES
      (3, 'ED', '2024-05-01 09:00:00+00'), (1, 'PENELOPE', '2024-05-01 08:00:00+00'), (2, 'NICK', NULL)`);
    await connection.run('CREATE TABLE log_lines (line VARCHAR)');
    await connection.run("INSERT INTO log_lines VALUES ('c'), ('a'), ('b')");
    await connection.run('CREATE TABLE "weird ""name""" (x INTEGER)');
    await connection.run('INSERT INTO "weird ""name""" VALUES (1)');
    await connection.run(`CREATE TABLE "${STAGING_PREFIX}actor_1" (x INTEGER)`);
    await connection.run(
      `INSERT INTO _duckling.tables (table_name, source_columns, key_columns, key_kind, type_plan, schema_hash, row_count, last_sync_at, updated_at)
       VALUES ('actor', $columns, '["actor_id"]', 'primary', '{}', 'hash', 3, '2024-05-01 10:00:00+00', now())`,
      { columns: ACTOR_SOURCE_COLUMNS },
    );
    await connection.run(
      `INSERT INTO _duckling.watermarks (table_name, mode, column_name, key_columns, updated_at)
       VALUES ('actor', 'timestamp', 'last_update', '["actor_id"]', now())`,
    );
  });
  tables = new TableService({ queryService: fixture.service, config: { query: { ...fixtureQueryConfig() } } });
});
after(async () => {
  await fixture.close();
});

function fixtureQueryConfig() {
  return { maxConcurrent: 4, timeoutMs: 30_000, streamTimeoutMs: 30_000, queueMax: 10, maxRows: 1000, streamMaxRows: 1000 };
}

async function rejection(promise: Promise<unknown>): Promise<DucklingError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DucklingError, `expected a DucklingError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected a rejection');
}

describe('TableService lists', () => {
  test('listTables hides internals', async () => {
    assert.deepEqual(await tables.listTables(fixture.replica), ['actor', 'log_lines', 'weird "name"']);
  });

  test('listTableDetails', async () => {
    const details = await tables.listTableDetails(fixture.replica);
    assert.deepEqual(details[0], { name: 'actor', rows: 3, columns: 3, syncMode: 'timestamp', lastSyncAt: '2024-05-01T10:00:00.000Z' });
    assert.equal(details[1]!.name, 'log_lines');
    assert.equal(details[1]!.syncMode, null);
    assert.equal(details[1]!.lastSyncAt, null);
    assert.equal(details.length, 3);
  });

  test('countAll', async () => {
    assert.deepEqual(await tables.countAll(fixture.replica), { actor: 3, log_lines: 3, 'weird "name"': 1 });
  });
});

describe('TableService schema', () => {
  test('with source columns', async () => {
    const schema = await tables.schema(fixture.replica, 'actor');
    assert.equal(schema.table, 'actor');
    assert.deepEqual(schema.columns[0], {
      column_name: 'actor_id',
      column_type: 'USMALLINT',
      mysql_type: 'smallint(5) unsigned',
      null: 'NO',
      key: 'PRI',
      default_value: null,
      extra: 'auto_increment',
    });
    assert.equal(schema.columns[2]!.mysql_type, 'timestamp');
    assert.equal(schema.columns[2]!.default_value, 'current_timestamp()');
    assert.equal(schema.columns[2]!.column_type, 'TIMESTAMP WITH TIME ZONE');
  });

  test('without source columns', async () => {
    const schema = await tables.schema(fixture.replica, 'log_lines');
    assert.deepEqual(schema.columns, [
      { column_name: 'line', column_type: 'VARCHAR', mysql_type: null, null: 'YES', key: null, default_value: null, extra: null },
    ]);
  });
});

describe('TableService page and count', () => {
  test('page ordered by key', async () => {
    const first = await tables.page(fixture.replica, 'actor', { limit: 2, offset: 0 });
    assert.deepEqual(first.map((row) => row.actor_id), [1, 2]);
    assert.deepEqual(first[0], { actor_id: 1, first_name: 'PENELOPE', last_update: '2024-05-01T08:00:00.000Z' });
    const second = await tables.page(fixture.replica, 'actor', { limit: 2, offset: 2 });
    assert.deepEqual(second.map((row) => row.actor_id), [3]);
  });

  test('keyless page by rowid', async () => {
    const page = await tables.page(fixture.replica, 'log_lines', { limit: 10, offset: 0 });
    assert.deepEqual(page.map((row) => row.line), ['c', 'a', 'b']);
  });

  test('count with quoted name', async () => {
    assert.deepEqual(await tables.count(fixture.replica, 'weird "name"'), { count: 1 });
    assert.deepEqual(await tables.count(fixture.replica, 'actor'), { count: 3 });
  });

  test('page range validated', async () => {
    for (const range of [{ limit: 0, offset: 0 }, { limit: 10_001, offset: 0 }, { limit: 10, offset: -1 }, { limit: 1.5, offset: 0 }]) {
      const error = await rejection(tables.page(fixture.replica, 'actor', range));
      assert.equal(error.code, 'DUCKLING_VALIDATION_FAILED', JSON.stringify(range));
    }
  });
});

describe('TableService names', () => {
  test('unknown table is 404', async () => {
    for (const name of ['nope', `${STAGING_PREFIX}actor_1`, 'meta']) {
      const error = await rejection(tables.count(fixture.replica, name));
      assert.equal(error.code, 'DUCKLING_TABLE_NOT_FOUND', name);
      assert.equal(error.statusCode, 404);
      assert.match(error.message, new RegExp(`"${name}" not found in database "default"`));
    }
  });

  test('invalid names are 400', async () => {
    for (const name of ['', 'a;b', 'a\0b', 'x'.repeat(129)]) {
      const error = await rejection(tables.schema(fixture.replica, name));
      assert.equal(error.code, 'DUCKLING_INVALID_IDENTIFIER', JSON.stringify(name));
      assert.equal(error.statusCode, 400);
    }
  });

  test('128 characters accepted', async () => {
    const error = await rejection(tables.count(fixture.replica, 'y'.repeat(128)));
    assert.equal(error.code, 'DUCKLING_TABLE_NOT_FOUND');
  });
});
