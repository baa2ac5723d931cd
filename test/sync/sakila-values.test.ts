import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import mysql from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { QueryService } from '../../src/query/index.js';
import { SyncService } from '../../src/sync/index.js';
import type { EncodedValue } from '../../src/query/types.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, syncConfig, tempDirectory } from './helpers.js';

/**
 * Every value of every Sakila table, read from MariaDB and from the replica through the query
 * encoder, compared after turning MariaDB's text into the JSON encoding Duckling promises
 * (numbers, exact decimal text, UTC instants for TIMESTAMP, base64 for binary data).
 */
const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let sync: SyncService;
let queries: QueryService;
let source: mysql.Connection;

interface ColumnInfo {
  name: string;
  dataType: string;
}

before(async () => {
  const server = await testSource();
  target = await openTarget(directory, server.url('sakila'));
  const config = syncConfig(directory);
  sync = new SyncService({ config, logger: silentLogger() });
  queries = new QueryService({ config, logger: silentLogger() });
  const stats = await sync.startFullRun(target, { trigger: 'manual' }).completion;
  assert.equal(stats.failedTables, 0, stats.errors.join('; '));
  source = await mysql.createConnection({
    host: server.host,
    port: server.port,
    user: 'root',
    database: 'sakila',
    dateStrings: true,
    supportBigNumbers: true,
    bigNumberStrings: true,
    decimalNumbers: false,
  });
  await source.query("SET time_zone = '+00:00'");
});

after(async () => {
  await source.end();
  await queries.shutdown();
  await sync.shutdown();
  await target.close();
});

/** MariaDB's value of one column in Duckling's JSON encoding. */
function expectedEncoding(value: unknown, column: ColumnInfo): EncodedValue {
  if (value === null) return null;
  if (Buffer.isBuffer(value)) return value.toString('base64');
  if (column.dataType === 'timestamp') return `${String(value).replace(' ', 'T')}.000Z`;
  if (['tinyint', 'smallint', 'mediumint', 'int', 'year'].includes(column.dataType)) return Number(value);
  if (column.dataType === 'bigint') {
    const big = BigInt(String(value));
    return big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big.toString();
  }
  return String(value);
}

async function columnsOf(table: string): Promise<ColumnInfo[]> {
  const [rows] = await source.query(
    `SELECT COLUMN_NAME AS name, DATA_TYPE AS dataType FROM information_schema.COLUMNS
      WHERE TABLE_SCHEMA = 'sakila' AND TABLE_NAME = ? ORDER BY ORDINAL_POSITION`,
    [table],
  );
  return rows as ColumnInfo[];
}

async function keyOf(table: string): Promise<string[]> {
  const [rows] = await source.query(
    `SELECT COLUMN_NAME AS name FROM information_schema.STATISTICS
      WHERE TABLE_SCHEMA = 'sakila' AND TABLE_NAME = ? AND INDEX_NAME = 'PRIMARY' ORDER BY SEQ_IN_INDEX`,
    [table],
  );
  return (rows as Array<{ name: string }>).map((row) => row.name);
}

test('every sakila value equals MariaDB', async () => {
  const [tableRows] = await source.query(
    "SELECT TABLE_NAME AS name FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'sakila' AND TABLE_TYPE = 'BASE TABLE' ORDER BY 1",
  );
  const tables = (tableRows as Array<{ name: string }>).map((row) => row.name);
  assert.equal(tables.length, 16);

  for (const table of tables) {
    const columns = await columnsOf(table);
    const key = await keyOf(table);
    const list = columns.map((column) => `\`${column.name}\``).join(', ');
    const order = key.map((name) => `\`${name}\``).join(', ');
    const [sourceRows] = await source.query({ sql: `SELECT ${list} FROM \`${table}\` ORDER BY ${order}`, rowsAsArray: true });
    const expected = (sourceRows as unknown[][]).map((row) => row.map((value, index) => expectedEncoding(value, columns[index]!)));

    const replicaList = columns.map((column) => `"${column.name}"`).join(', ');
    const replicaOrder = key.map((name) => `"${name}"`).join(', ');
    const result = await queries.execute({
      databaseId: 'default',
      replica: target.replica,
      sql: `SELECT ${replicaList} FROM "${table}" ORDER BY ${replicaOrder}`,
      maxRows: 100_000,
      timeoutMs: 60_000,
      principal: 'test',
      protocol: 'internal',
    });

    assert.equal(result.rowCount, expected.length, `${table}: row count`);
    for (let index = 0; index < expected.length; index += 1) {
      assert.deepEqual(result.rows[index], expected[index], `${table}: row ${index} differs`);
    }
  }
});
