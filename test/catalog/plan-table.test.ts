import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NULLED, parseDateTimeMicros, planTable, ValueConversionError, type SourceColumn, type TableDefinition } from '../../src/catalog/index.js';
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

test('plan invalid calendar date', () => {
  const plan = planTable(table([column('d', 'date', 'date')]));
  const invalidDate = (error: unknown) => {
    assert.ok(error instanceof ValueConversionError);
    assert.equal(error.column, 'd');
    assert.equal(error.value, '"2021-02-30"');
    assert.equal(error.reason, 'not a valid calendar date');
    return true;
  };
  assert.throws(() => plan.columns[1]!.toItem('2021-02-30'), invalidDate);
  assert.throws(() => plan.columns[1]!.toParameter('2021-02-30'), invalidDate);
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

test('toItem short and long numbers', () => {
  const plan = planTable(table([
    column('big', 'bigint', 'bigint(20)'),
    column('ubig', 'bigint', 'bigint(20) unsigned'),
    column('dec', 'decimal', 'decimal(30,2)', { numericPrecision: 30, numericScale: 2 }),
    column('whole', 'decimal', 'decimal(20,0)', { numericPrecision: 20, numericScale: 0 }),
  ]));
  const [, big, ubig, dec, whole] = plan.columns;
  const scaled = (value: unknown) => (dec!.toItem(value) as unknown as { value: bigint }).value;

  assert.equal(big!.toItem('-0'), 0n);
  assert.equal(big!.toItem('007'), 7n);
  assert.equal(big!.toItem('-999999999999999'), -999999999999999n);
  assert.equal(big!.toItem('-9223372036854775808'), -9223372036854775808n);
  assert.throws(() => big!.toItem('9223372036854775808'), /outside the BIGINT range/);
  assert.throws(() => big!.toItem(' 12'), /not a BIGINT integer/);
  assert.throws(() => ubig!.toItem('-1'), /not a UBIGINT integer/);
  assert.equal(ubig!.toItem('18446744073709551615'), 18446744073709551615n);

  assert.equal(scaled('-0.50'), -50n);
  assert.equal(scaled('1234567890123.45'), 123456789012345n);
  assert.equal(scaled('9999999999999999999999999999.99'), 999999999999999999999999999999n);
  assert.throws(() => dec!.toItem('12.5'), /exactly 2 fraction digits/);
  assert.throws(() => dec!.toItem('-.50'), /exactly 2 fraction digits/);
  assert.throws(() => dec!.toItem('1x.50'), /exactly 2 fraction digits/);
  assert.equal((whole!.toItem('-12') as unknown as { value: bigint }).value, -12n);
  assert.throws(() => whole!.toItem('12.0'), /exactly 0 fraction digits/);
});

test('toItem dates match exact parser', () => {
  const plan = planTable(table([
    column('d', 'date', 'date'),
    column('dt', 'datetime', 'datetime(6)', { datetimePrecision: 6 }),
  ]));
  const [, d, dt] = plan.columns;
  assert.equal((d!.toItem('1970-01-02') as unknown as { days: number }).days, 1);
  assert.equal((d!.toItem('0000-03-01') as unknown as { days: number }).days, -719468);
  assert.equal(d!.toItem('2024-00-10'), NULLED);
  const micros = (text: string) => (dt!.toItem(text) as unknown as { micros: bigint }).micros;
  for (const text of ['1969-12-31 23:59:59.5', '2000-02-29 12:00:00.000001', '9999-12-31 23:59:59.999999', '1000-01-01 00:00:00']) {
    assert.equal(micros(text), parseDateTimeMicros(text, 'dt'), text);
  }
  assert.equal(micros('1969-12-31 23:59:59.5'), -500000n);
  assert.throws(() => dt!.toItem('2023-02-29 00:00:00'), /not a valid calendar date/);
  assert.throws(() => dt!.toItem('2024-01-01 24:00:00'), /not a valid time of day/);
  assert.throws(() => dt!.toItem('2024-01-01 00:00:00.'), /expected YYYY-MM-DD/);
  assert.throws(() => dt!.toItem('2024-01-01T00:00:00'), /expected YYYY-MM-DD/);
});
