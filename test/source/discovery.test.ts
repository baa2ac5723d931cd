import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { normaliseDefault, type SourceDatabase } from '../../src/source/index.js';
import { testSource } from '../harness/mariadb.js';
import { openSource } from './helpers.js';

let source: SourceDatabase;

before(async () => {
  const server = await testSource();
  const schema = await server.createSchema('discovery');
  const connection = await server.connect(schema);
  try {
    await connection.query(`
      CREATE TABLE pk_single (id INT PRIMARY KEY, name VARCHAR(10));
      CREATE TABLE pk_composite (b INT NOT NULL, a VARCHAR(10) NOT NULL, c INT, PRIMARY KEY (a, b));
      CREATE TABLE unique_fallback (x INT NULL, y INT NOT NULL, z INT NOT NULL, UNIQUE KEY ux (x), UNIQUE KEY uyz (z, y));
      CREATE TABLE keyless (v INT, w INT, KEY kv (v));
      CREATE TABLE defaults (
        id INT PRIMARY KEY,
        s VARCHAR(10) DEFAULT 'it''s',
        n INT DEFAULT 5,
        nullable_text VARCHAR(5),
        required INT NOT NULL,
        created TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)
      );
      CREATE TABLE excluded_one (id INT PRIMARY KEY);
      CREATE VIEW a_view AS SELECT id FROM pk_single;
      CREATE SEQUENCE a_sequence;
      INSERT INTO pk_single VALUES (1, 'a'), (2, 'b');
    `);
  } finally {
    await connection.end();
  }
  source = openSource(server.url(schema));
});

after(async () => {
  await source?.close();
});

test('discovery lists base tables', async () => {
  const tables = await source.listTables(['excluded_one']);
  assert.deepEqual(
    tables.map((table) => table.name),
    ['defaults', 'keyless', 'pk_composite', 'pk_single', 'unique_fallback'],
  );
});

test('discovery primary key', async () => {
  const table = await source.describeTable('pk_single');
  assert.deepEqual(table?.key, { columns: ['id'], kind: 'primary' });
  assert.deepEqual(table?.columns.map((column) => column.name), ['id', 'name']);
  assert.equal(typeof table?.estimatedRows, 'number');
});

test('discovery composite key order', async () => {
  const table = await source.describeTable('pk_composite');
  assert.deepEqual(table?.key, { columns: ['a', 'b'], kind: 'primary' });
  assert.deepEqual(table?.columns.map((column) => column.name), ['b', 'a', 'c']);
});

test('discovery unique not-null fallback', async () => {
  const table = await source.describeTable('unique_fallback');
  assert.deepEqual(table?.key, { columns: ['z', 'y'], kind: 'unique' });
});

test('discovery keyless table', async () => {
  const table = await source.describeTable('keyless');
  assert.deepEqual(table?.key, { columns: [], kind: 'none' });
});

test('discovery missing table', async () => {
  assert.equal(await source.describeTable('a_view'), null);
  assert.equal(await source.describeTable('no_such_table'), null);
});

test('discovery normalised defaults', async () => {
  const table = await source.describeTable('defaults');
  const byName = new Map(table?.columns.map((column) => [column.name, column]));
  assert.deepEqual(byName.get('id')?.default, { kind: 'none' });
  assert.deepEqual(byName.get('s')?.default, { kind: 'literal', value: "it's" });
  assert.deepEqual(byName.get('n')?.default, { kind: 'literal', value: '5' });
  assert.deepEqual(byName.get('nullable_text')?.default, { kind: 'null' });
  assert.deepEqual(byName.get('required')?.default, { kind: 'none' });
  assert.deepEqual(byName.get('created')?.default, { kind: 'expression', value: 'current_timestamp(3)' });
  assert.equal(byName.get('created')?.datetimePrecision, 3);
  assert.equal(byName.get('s')?.columnType, 'varchar(10)');
  assert.equal(byName.get('s')?.charset, 'utf8mb4');
});

test('discovery ping reports mariadb', async () => {
  const ping = await source.ping();
  assert.equal(ping.flavour, 'mariadb');
  assert.match(ping.version, /MariaDB/);
  assert.ok(ping.latencyMs >= 0);
});

test('discovery mysql defaults', () => {
  assert.deepEqual(normaliseDefault(null, '', true, 'mysql'), { kind: 'null' });
  assert.deepEqual(normaliseDefault(null, '', false, 'mysql'), { kind: 'none' });
  assert.deepEqual(normaliseDefault("it's", '', true, 'mysql'), { kind: 'literal', value: "it's" });
  assert.deepEqual(normaliseDefault('CURRENT_TIMESTAMP(3)', 'DEFAULT_GENERATED on update CURRENT_TIMESTAMP(3)', false, 'mysql'), {
    kind: 'expression',
    value: 'current_timestamp(3)',
  });
});

test('discovery mariadb defaults', () => {
  assert.deepEqual(normaliseDefault('NULL', '', true, 'mariadb'), { kind: 'null' });
  assert.deepEqual(normaliseDefault("'NULL'", '', true, 'mariadb'), { kind: 'literal', value: 'NULL' });
  assert.deepEqual(normaliseDefault('-1.5e3', '', true, 'mariadb'), { kind: 'literal', value: '-1.5e3' });
  assert.deepEqual(normaliseDefault('uuid()', '', true, 'mariadb'), { kind: 'expression', value: 'uuid()' });
});
