import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api';
import { planTable, ValueConversionError, type SourceColumn, type TableDefinition } from '../../src/catalog/index.js';
import { DucklingError } from '../../src/errors/index.js';

function column(name: string, dataType: string, columnType: string, extra: Partial<SourceColumn> = {}): SourceColumn {
  return {
    name,
    ordinal: 1,
    dataType,
    columnType,
    nullable: true,
    columnKey: '',
    default: { kind: 'null' },
    extra: '',
    charset: null,
    collation: null,
    generationExpression: null,
    numericPrecision: null,
    numericScale: null,
    datetimePrecision: null,
    isJsonAlias: false,
    ...extra,
  };
}

function table(columns: SourceColumn[], key: TableDefinition['key'] = { columns: ['id'], kind: 'primary' }): TableDefinition {
  return { name: 't', columns: [column('id', 'int', 'int(11)'), ...columns], key };
}

let instance: DuckDBInstance;
let connection: DuckDBConnection;

before(async () => {
  instance = await DuckDBInstance.create(':memory:');
  connection = await instance.connect();
});

after(() => {
  connection.closeSync();
  instance.closeSync();
});

test('plan unsupported type', () => {
  assert.throws(
    () => planTable(table([column('embedding', 'vector', 'vector(3)')])),
    (error: unknown) => {
      assert.ok(error instanceof DucklingError);
      assert.match(error.message, /unsupported type vector\(3\) in column embedding/);
      return true;
    },
  );
});

test('plan schema hash', () => {
  const base = planTable(table([column('v', 'varchar', 'varchar(10)')]));
  assert.match(base.schemaHash, /^[0-9a-f]{64}$/);
  assert.equal(planTable(table([column('v', 'varchar', 'varchar(10)')])).schemaHash, base.schemaHash);
  assert.notEqual(planTable(table([column('v', 'varchar', 'varchar(11)')])).schemaHash, base.schemaHash);
  assert.notEqual(planTable(table([column('v', 'varchar', 'varchar(10)', { default: { kind: 'literal', value: 'x' } })])).schemaHash, base.schemaHash);
  assert.notEqual(planTable(table([column('v', 'varchar', 'varchar(10)')], { columns: ['id', 'v'], kind: 'primary' })).schemaHash, base.schemaHash);
});

test('plan key order', () => {
  const withKey = (keyColumn: SourceColumn) => planTable(table([keyColumn], { columns: ['id', keyColumn.name], kind: 'primary' }));
  assert.equal(withKey(column('k', 'datetime', 'datetime(6)', { datetimePrecision: 6 })).keyOrdersSame, true);
  assert.equal(withKey(column('k', 'varbinary', 'varbinary(16)')).keyOrdersSame, true);
  assert.equal(withKey(column('k', 'varchar', 'varchar(10)', { collation: 'utf8mb4_bin' })).keyOrdersSame, true);
  assert.equal(withKey(column('k', 'varchar', 'varchar(10)', { collation: 'utf8mb4_general_ci' })).keyOrdersSame, false);
  assert.equal(withKey(column('k', 'enum', "enum('b','a')")).keyOrdersSame, false);
  assert.equal(withKey(column('k', 'decimal', 'decimal(50,2)', { numericPrecision: 50, numericScale: 2 })).keyOrdersSame, false);
  assert.equal(planTable(table([], { columns: [], kind: 'none' })).keyOrdersSame, false);
});

test('plan invalid calendar date', async () => {
  const plan = planTable(table([column('d', 'date', 'date')]));
  await connection.run('CREATE TABLE invalid_date (id INTEGER, d DATE)');
  const appender = await connection.createAppender('invalid_date');
  try {
    appender.appendInteger(1);
    assert.throws(() => plan.columns[1]!.append(appender, '2021-02-30'), (error: unknown) => {
      assert.ok(error instanceof ValueConversionError);
      assert.equal(error.column, 'd');
      assert.equal(error.value, '"2021-02-30"');
      return true;
    });
    assert.throws(() => plan.columns[1]!.toParameter('2021-02-30'), ValueConversionError);
  } finally {
    appender.closeSync();
  }
});

test('plan wrong value shape', () => {
  const plan = planTable(table([
    column('tiny', 'tinyint', 'tinyint(4)'),
    column('dec', 'decimal', 'decimal(5,2)', { numericPrecision: 5, numericScale: 2 }),
    column('f', 'float', 'float'),
  ]));
  assert.throws(() => plan.columns[1]!.toParameter(300), /not an integer in the TINYINT range/);
  assert.throws(() => plan.columns[2]!.toParameter('1.5'), /exactly 2 fraction digits/);
  assert.throws(() => plan.columns[3]!.toParameter(0.1), /not exactly representable as a 32-bit FLOAT/);
  assert.deepEqual(plan.columns[2]!.toParameter(null), { value: null, nulled: false });
});
