// Every row of the type mapping with edge values, loaded from the private MariaDB through the
// snapshot reader and the type plan into a real replica, then read back through the value
// encoder. Each table is loaded twice: through the full sync's DataChunk sink and through the
// INSERT fallback. The test process runs under a non-UTC TZ and TIMESTAMP rows are inserted under a
// +05:30 session zone, so neither zone may leak into the stored values.
process.env.TZ = 'America/New_York';

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { encodeValue, type EncodedValue } from '../../src/catalog/encode.js';
import { planTable, type TablePlan } from '../../src/catalog/index.js';
import { quoteIdentifier } from '../../src/replica/index.js';
import type { SourceDatabase, SourceTable } from '../../src/source/index.js';
import { AppenderSink, NullCounter } from '../../src/sync/row-sinks.js';
import { testSource } from '../harness/mariadb.js';
import { collect, openSource, openTestReplica } from './../source/helpers.js';

interface FidelityCase {
  name: string;
  columnType: string;
  /** SQL literals inserted in id order. */
  values: string[];
  /** Encoded value per row; `nulled` marks a zero or partial date stored as NULL. */
  expected: Array<EncodedValue | { nulled: true }>;
  /** Custom comparison for FLOAT, whose JSON form is the encoder's choice. */
  compare?: (actual: EncodedValue, expected: EncodedValue) => boolean;
  duckdbType: string;
}

const sameFloat = (actual: EncodedValue, expected: EncodedValue) => Math.fround(Number(actual)) === Math.fround(Number(expected));
const base64 = (hex: string) => Buffer.from(hex, 'hex').toString('base64');
const NULLED = { nulled: true } as const;
const ONES_64 = `b'${'1'.repeat(64)}'`;

const CASES: FidelityCase[] = [
  { name: 'tinyint', columnType: 'TINYINT', values: ['-128', '127', '-1'], expected: [-128, 127, -1], duckdbType: 'TINYINT' },
  { name: 'bool', columnType: 'TINYINT(1)', values: ['2', '-1', '0'], expected: [2, -1, 0], duckdbType: 'TINYINT' },
  { name: 'utinyint', columnType: 'TINYINT UNSIGNED', values: ['0', '255'], expected: [0, 255], duckdbType: 'UTINYINT' },
  { name: 'smallint', columnType: 'SMALLINT', values: ['-32768', '32767'], expected: [-32768, 32767], duckdbType: 'SMALLINT' },
  { name: 'usmallint', columnType: 'SMALLINT UNSIGNED', values: ['0', '65535'], expected: [0, 65535], duckdbType: 'USMALLINT' },
  { name: 'mediumint', columnType: 'MEDIUMINT', values: ['-8388608', '8388607'], expected: [-8388608, 8388607], duckdbType: 'INTEGER' },
  { name: 'umediumint', columnType: 'MEDIUMINT UNSIGNED', values: ['16777215'], expected: [16777215], duckdbType: 'UINTEGER' },
  { name: 'int', columnType: 'INT', values: ['-2147483648', '2147483647'], expected: [-2147483648, 2147483647], duckdbType: 'INTEGER' },
  { name: 'uint', columnType: 'INT UNSIGNED', values: ['0', '4294967295'], expected: [0, 4294967295], duckdbType: 'UINTEGER' },
  {
    name: 'bigint',
    columnType: 'BIGINT',
    values: ['-9223372036854775808', '9223372036854775807', '9007199254740991', '-9007199254740992'],
    expected: ['-9223372036854775808', '9223372036854775807', 9007199254740991, '-9007199254740992'],
    duckdbType: 'BIGINT',
  },
  {
    name: 'ubigint',
    columnType: 'BIGINT UNSIGNED',
    values: ['0', '18446744073709551615', '18000000000000000000'],
    expected: [0, '18446744073709551615', '18000000000000000000'],
    duckdbType: 'UBIGINT',
  },
  {
    name: 'decimal38',
    columnType: 'DECIMAL(38,10)',
    values: ["'1234567890123456789012345678.0123456789'", "'-0.0000000001'", "'0'"],
    expected: ['1234567890123456789012345678.0123456789', '-0.0000000001', '0.0000000000'],
    duckdbType: 'DECIMAL(38,10)',
  },
  { name: 'decimal_money', columnType: 'DECIMAL(12,2) UNSIGNED', values: ["'9999999999.99'", "'1.5'"], expected: ['9999999999.99', '1.50'], duckdbType: 'DECIMAL(12,2)' },
  {
    name: 'decimal65',
    columnType: 'DECIMAL(65,30)',
    values: ["'-12345678901234567890123456789012345.123456789012345678901234567890'", "'0'"],
    expected: ['-12345678901234567890123456789012345.123456789012345678901234567890', '0.000000000000000000000000000000'],
    duckdbType: 'VARCHAR',
  },
  {
    name: 'float',
    columnType: 'FLOAT',
    values: ['3.402823466e38', '-3.402823466e38', '16777216', '0.1', '1.17549435e-38', '1.401298464e-45'],
    expected: [3.402823466e38, -3.402823466e38, 16777216, 0.1, 1.17549435e-38, 1.401298464e-45],
    compare: sameFloat,
    duckdbType: 'FLOAT',
  },
  {
    name: 'double',
    columnType: 'DOUBLE',
    values: ['1.7976931348623157e308', '-2.2250738585072014e-308', '5e-324', '0.1', '123456789012345680000'],
    expected: [1.7976931348623157e308, -2.2250738585072014e-308, 5e-324, 0.1, 123456789012345680000],
    duckdbType: 'DOUBLE',
  },
  { name: 'bit1', columnType: 'BIT(1)', values: ["b'1'", "b'0'"], expected: [true, false], duckdbType: 'BOOLEAN' },
  { name: 'bit64', columnType: 'BIT(64)', values: [ONES_64, "b'101'", "b'0'"], expected: ['18446744073709551615', 5, 0], duckdbType: 'UBIGINT' },
  {
    name: 'date',
    columnType: 'DATE',
    values: ["'2020-01-02'", "'1000-01-01'", "'9999-12-31'", "'0000-00-00'", "'2020-00-15'", "'2020-02-00'"],
    expected: ['2020-01-02', '1000-01-01', '9999-12-31', NULLED, NULLED, NULLED],
    duckdbType: 'DATE',
  },
  {
    name: 'datetime0',
    columnType: 'DATETIME',
    values: ["'2020-01-02 03:04:05'", "'9999-12-31 23:59:59'", "'0000-00-00 00:00:00'", "'2020-00-15 10:00:00'"],
    expected: ['2020-01-02 03:04:05', '9999-12-31 23:59:59', NULLED, NULLED],
    duckdbType: 'TIMESTAMP_S',
  },
  {
    name: 'datetime3',
    columnType: 'DATETIME(3)',
    values: ["'2020-01-02 03:04:05.123'", "'2020-01-02 03:04:05.1'", "'1000-01-01 00:00:00'"],
    expected: ['2020-01-02 03:04:05.123', '2020-01-02 03:04:05.100', '1000-01-01 00:00:00.000'],
    duckdbType: 'TIMESTAMP_MS',
  },
  {
    name: 'datetime6',
    columnType: 'DATETIME(6)',
    values: ["'1000-01-01 00:00:00.000001'", "'9999-12-31 23:59:59.999999'"],
    expected: ['1000-01-01 00:00:00.000001', '9999-12-31 23:59:59.999999'],
    duckdbType: 'TIMESTAMP',
  },
  {
    name: 'timestamp0',
    columnType: 'TIMESTAMP NULL',
    values: ["'1970-01-01 05:30:01'", "'0000-00-00 00:00:00'"],
    expected: ['1970-01-01T00:00:01.000Z', NULLED],
    duckdbType: 'TIMESTAMP WITH TIME ZONE',
  },
  {
    name: 'timestamp3',
    columnType: 'TIMESTAMP(3) NULL',
    values: ["'2020-01-02 03:04:05.123'"],
    expected: ['2020-01-01T21:34:05.123Z'],
    duckdbType: 'TIMESTAMP WITH TIME ZONE',
  },
  {
    name: 'timestamp6',
    columnType: 'TIMESTAMP(6) NULL',
    values: ["'2038-01-19 08:44:07.999999'", "'2020-07-01 12:00:00.000001'"],
    expected: ['2038-01-19T03:14:07.999999Z', '2020-07-01T06:30:00.000001Z'],
    duckdbType: 'TIMESTAMP WITH TIME ZONE',
  },
  {
    name: 'time',
    columnType: 'TIME',
    values: ["'838:59:59'", "'-838:59:59'", "'25:00:00'", "'00:00:00'"],
    expected: ['838:59:59.000000', '-838:59:59.000000', '25:00:00.000000', '00:00:00.000000'],
    duckdbType: 'INTERVAL',
  },
  {
    name: 'time6',
    columnType: 'TIME(6)',
    values: ["'-00:00:01.500000'", "'838:59:59.000000'", "'-123:04:05.000006'"],
    expected: ['-00:00:01.500000', '838:59:59.000000', '-123:04:05.000006'],
    duckdbType: 'INTERVAL',
  },
  { name: 'year', columnType: 'YEAR', values: ["'0000'", '1901', '2155'], expected: [0, 1901, 2155], duckdbType: 'SMALLINT' },
  {
    name: 'varchar',
    columnType: 'VARCHAR(50) CHARACTER SET utf8mb4',
    values: ["'😀 ünïcødé 𝄞'", "''", "'a\\'b\"c'"],
    expected: ['😀 ünïcødé 𝄞', '', 'a\'b"c'],
    duckdbType: 'VARCHAR',
  },
  { name: 'char', columnType: 'CHAR(3)', values: ["'ab'"], expected: ['ab'], duckdbType: 'VARCHAR' },
  { name: 'text', columnType: 'MEDIUMTEXT', values: ["REPEAT('🦆', 3000)"], expected: ['🦆'.repeat(3000)], duckdbType: 'VARCHAR' },
  { name: 'enum', columnType: "ENUM('a','b','')", values: ["'b'", "''"], expected: ['b', ''], duckdbType: 'VARCHAR' },
  { name: 'set', columnType: "SET('x','y')", values: ["'x,y'", "''", "'y'"], expected: ['x,y', '', 'y'], duckdbType: 'VARCHAR' },
  {
    name: 'json',
    columnType: 'JSON',
    values: [
      `'{"a": "q\\\\"x", "n": 12345678901234567890, "big": 99999999999999999999}'`,
      `'[1.50, 1e2, -0, "\\\\u00e9\\\\/", {}]'`,
    ],
    expected: ['{"a":"q\\"x","n":12345678901234567890,"big":99999999999999999999}', '[1.5,100.0,0,"é/",{}]'],
    duckdbType: 'JSON',
  },
  { name: 'blob', columnType: 'BLOB', values: ["X'00FF10'", "X''"], expected: [base64('00ff10'), ''], duckdbType: 'BLOB' },
  { name: 'varbinary', columnType: 'VARBINARY(8)', values: ["X'0001'"], expected: [base64('0001')], duckdbType: 'BLOB' },
  { name: 'binary', columnType: 'BINARY(4)', values: ["X'01'"], expected: [base64('01000000')], duckdbType: 'BLOB' },
  {
    name: 'geometry',
    columnType: 'GEOMETRY',
    values: ["ST_GeomFromText('POINT(1 2)', 4326)", "ST_GeomFromText('POINT(3 4)')"],
    expected: [
      base64('e6100000' + '0101000000' + '000000000000f03f' + '0000000000000040'),
      base64('00000000' + '0101000000' + '0000000000000840' + '0000000000001040'),
    ],
    duckdbType: 'BLOB',
  },
  { name: 'point', columnType: 'POINT', values: ['POINT(3, 4)'], expected: [base64('00000000' + '0101000000' + '0000000000000840' + '0000000000001040')], duckdbType: 'BLOB' },
  {
    name: 'uuid',
    columnType: 'UUID',
    values: ["'123e4567-e89b-12d3-a456-426614174000'"],
    expected: ['123e4567-e89b-12d3-a456-426614174000'],
    duckdbType: 'UUID',
  },
  { name: 'inet6', columnType: 'INET6', values: ["'::1'", "'2001:db8::ff00:42:8329'"], expected: ['::1', '2001:db8::ff00:42:8329'], duckdbType: 'VARCHAR' },
  { name: 'inet4', columnType: 'INET4', values: ["'10.0.0.1'"], expected: ['10.0.0.1'], duckdbType: 'VARCHAR' },
];

let schema = '';
let source: SourceDatabase;
let replicaHandle: Awaited<ReturnType<typeof openTestReplica>>;

before(async () => {
  const server = await testSource();
  schema = await server.createSchema('fidelity');
  const connection = await server.connect(schema);
  try {
    // Zero and partial dates need a permissive sql_mode; TIMESTAMP literals are read in +05:30.
    await connection.query("SET SESSION sql_mode = '', SESSION time_zone = '+05:30'");
    for (const fidelity of CASES) {
      await connection.query(`CREATE TABLE \`${fidelity.name}\` (id INT PRIMARY KEY, v ${fidelity.columnType})`);
      const rows = fidelity.values.map((value, index) => `(${index + 1}, ${value})`).join(', ');
      await connection.query(`INSERT INTO \`${fidelity.name}\` VALUES ${rows}`);
    }
    await connection.query('CREATE TABLE generated (id INT PRIMARY KEY, a INT, doubled INT AS (a * 2) VIRTUAL, label VARCHAR(20) AS (CONCAT(\'n\', a)) STORED)');
    await connection.query('INSERT INTO generated (id, a) VALUES (1, 21), (2, NULL)');
  } finally {
    await connection.end();
  }
  source = openSource(server.url(schema));
  replicaHandle = await openTestReplica();
});

after(async () => {
  await source?.close();
  await replicaHandle?.close();
});

/** Loads a table through snapshot, plan and the full-sync sink, which fills DataChunks from `toItem`, and returns the nulled count. */
async function loadThroughChunks(connection: DuckDBConnection, table: SourceTable, plan: TablePlan, staging: string): Promise<number> {
  const columns = plan.columns.map((column) => `${quoteIdentifier(column.name)} ${column.duckdbType}`).join(', ');
  await connection.run(`CREATE TABLE main.${quoteIdentifier(staging)} (${columns})`);
  const nulls = new NullCounter();
  const sink = await AppenderSink.create(connection, staging, plan, nulls);
  const snapshot = await source.openSnapshot();
  try {
    for await (const batch of snapshot.readPageBatches(table, null, 1000)) {
      for (const row of batch) sink.append(row);
    }
    await sink.flush();
  } finally {
    sink.close();
    await snapshot.release();
  }
  return nulls.total;
}

/** Loads the same rows through `toParameter` and a typed INSERT, the fallback path, and returns the nulled count. */
async function loadThroughInsert(connection: DuckDBConnection, table: SourceTable, plan: TablePlan, staging: string): Promise<number> {
  const columns = plan.columns.map((column) => `${quoteIdentifier(column.name)} ${column.duckdbType}`).join(', ');
  await connection.run(`CREATE TABLE main.${quoteIdentifier(staging)} (${columns})`);
  const placeholders = plan.columns.map((_, index) => `$${index + 1}`).join(', ');
  const types = plan.columns.map((column) => column.type);
  const snapshot = await source.openSnapshot();
  let nulled = 0;
  try {
    for (const row of await collect(snapshot.readPage(table, null, 1000))) {
      const converted = plan.columns.map((column, index) => column.toParameter(row[index]));
      nulled += converted.filter((parameter) => parameter.nulled).length;
      const values = converted.map((parameter) => parameter.value);
      await connection.run(`INSERT INTO main.${quoteIdentifier(staging)} VALUES (${placeholders})`, values as DuckDBValue[], types);
    }
  } finally {
    await snapshot.release();
  }
  return nulled;
}

async function readEncoded(connection: DuckDBConnection, staging: string, column: string): Promise<EncodedValue[]> {
  const reader = await connection.runAndReadAll(`SELECT ${quoteIdentifier(column)} FROM main.${quoteIdentifier(staging)} ORDER BY id`);
  const type = reader.columnTypes()[0]!;
  return reader.getRows().map((row) => encodeValue(row[0] ?? null, type));
}

function assertValues(fidelity: FidelityCase, actual: EncodedValue[], path: string): void {
  assert.equal(actual.length, fidelity.expected.length, `${fidelity.name} (${path}): row count`);
  fidelity.expected.forEach((expected, index) => {
    const wanted = typeof expected === 'object' && expected !== null && 'nulled' in expected ? null : (expected as EncodedValue);
    const got = actual[index] ?? null;
    const message = `${fidelity.name} (${path}) row ${index + 1}: source ${fidelity.values[index]}`;
    if (fidelity.compare && wanted !== null && got !== null) assert.ok(fidelity.compare(got, wanted), `${message}: got ${String(got)}, expected ${String(wanted)}`);
    else assert.deepEqual(got, wanted, message);
  });
}

describe('type fidelity', () => {
  for (const fidelity of CASES) {
    test(`type ${fidelity.name}`, async () => {
      const table = await source.describeTable(fidelity.name);
      assert.ok(table, `table ${fidelity.name} discovered`);
      const plan = planTable(table);
      assert.equal(plan.columns[1]?.duckdbType, fidelity.duckdbType, 'planned DuckDB type');

      await replicaHandle.replica.withWriter(async (connection) => {
        const expectedNulled = fidelity.expected.filter((value) => typeof value === 'object' && value !== null && 'nulled' in value).length;

        const chunkNulled = await loadThroughChunks(connection, table, plan, `__duckling_stage_${fidelity.name}_c`);
        assert.equal(chunkNulled, expectedNulled, 'values reported as nulled by the chunk sink');
        assertValues(fidelity, await readEncoded(connection, `__duckling_stage_${fidelity.name}_c`, 'v'), 'chunks');

        const insertNulled = await loadThroughInsert(connection, table, plan, `__duckling_stage_${fidelity.name}_i`);
        assert.equal(insertNulled, expectedNulled, 'values reported as nulled by the INSERT path');
        assertValues(fidelity, await readEncoded(connection, `__duckling_stage_${fidelity.name}_i`, 'v'), 'insert');
      });
    });
  }

  test('generated columns copied as values', async () => {
    const table = await source.describeTable('generated');
    assert.ok(table);
    assert.equal(table.columns[2]?.generationExpression?.replace(/`/g, ''), 'a * 2');
    const plan = planTable(table);
    await replicaHandle.replica.withWriter(async (connection) => {
      await loadThroughChunks(connection, table, plan, '__duckling_stage_generated_c');
      assert.deepEqual(await readEncoded(connection, '__duckling_stage_generated_c', 'doubled'), [42, null], 'chunks');
      assert.deepEqual(await readEncoded(connection, '__duckling_stage_generated_c', 'label'), ['n21', null], 'chunks');

      await loadThroughInsert(connection, table, plan, '__duckling_stage_generated_i');
      assert.deepEqual(await readEncoded(connection, '__duckling_stage_generated_i', 'doubled'), [42, null], 'insert');
      assert.deepEqual(await readEncoded(connection, '__duckling_stage_generated_i', 'label'), ['n21', null], 'insert');
    });
  });

  test('json alias detected on MariaDB', async () => {
    const table = await source.describeTable('json');
    assert.equal(table?.columns[1]?.dataType, 'longtext');
    assert.equal(table?.columns[1]?.isJsonAlias, true);
  });
});
