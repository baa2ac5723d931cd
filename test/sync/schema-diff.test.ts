import { test } from 'node:test';
import assert from 'node:assert/strict';
import { schemaHash, type SourceColumn, type TableDefinition } from '../../src/catalog/index.js';
import { compareSchemas, fillOfAddedColumn, formatColumnType, type StoredSchema } from '../../src/sync/schema-diff.js';
import { offDefaultQuery } from '../../src/sync/schema-evolution.js';
import type { SourceTable } from '../../src/source/index.js';

function column(name: string, ordinal: number, columnType: string, overrides: Partial<SourceColumn> = {}): SourceColumn {
  return {
    name, ordinal, columnType, dataType: columnType.replace(/\(.*$/, '').split(' ')[0]!,
    nullable: true, columnKey: '', default: { kind: 'null' }, extra: '', charset: null, collation: null,
    generationExpression: null, numericPrecision: null, numericScale: null, datetimePrecision: null, isJsonAlias: false,
    ...overrides,
  };
}

const ID = column('id', 1, 'int(11)', { nullable: false, default: { kind: 'none' }, columnKey: 'PRI' });
const NAME = column('name', 2, 'varchar(20)', { charset: 'utf8mb4', collation: 'utf8mb4_general_ci' });
const PRICE = column('price', 3, 'decimal(10,2)');

function table(columns: SourceColumn[], key: string[] = ['id']): TableDefinition {
  return { name: 't', columns, key: { columns: key, kind: key.length > 0 ? 'primary' : 'none' } };
}

function stored(definition: TableDefinition): StoredSchema {
  return { columns: definition.columns, key: definition.key, schemaHash: schemaHash(definition) };
}

const BEFORE = stored(table([ID, NAME, PRICE]));

test('unchanged and created tables', () => {
  assert.deepEqual(compareSchemas(BEFORE, table([ID, NAME, PRICE])), { kind: 'unchanged' });
  assert.deepEqual(compareSchemas(null, table([ID])), { kind: 'created', summary: 'table created' });
});

test('nullable column added in place', () => {
  const note = column('note', 4, 'varchar(20)');
  const result = compareSchemas(BEFORE, table([ID, NAME, PRICE, note]));
  assert.equal(result.kind, 'in-place');
  assert.equal((result as { summary: string }).summary, 'column added: note VARCHAR(20)');
  assert.deepEqual((result as { added: unknown }).added, [{ column: note, fill: { kind: 'null' } }]);
});

test('column added in the middle', () => {
  // The columns after it move one position on. Aligned by name, that is no change of theirs.
  const note = column('note', 2, 'varchar(20)');
  const result = compareSchemas(BEFORE, table([ID, note, { ...NAME, ordinal: 3 }, { ...PRICE, ordinal: 4 }]));
  assert.equal(result.kind, 'in-place');
  assert.equal((result as { summary: string }).summary, 'column added: note VARCHAR(20)');
});

test('literal default added in place', () => {
  const status = column('status', 4, 'varchar(10)', { nullable: false, default: { kind: 'literal', value: "it's" } });
  const result = compareSchemas(BEFORE, table([ID, NAME, PRICE, status]));
  assert.equal(result.kind, 'in-place');
  assert.equal((result as { summary: string }).summary, "column added: status VARCHAR(10) NOT NULL DEFAULT 'it''s'");
  assert.deepEqual((result as { added: Array<{ fill: unknown }> }).added[0]!.fill, { kind: 'literal', value: "it's" });
});

test('added columns that need a rebuild', () => {
  const cases: Array<[SourceColumn, string]> = [
    [column('stamp', 4, 'datetime', { nullable: false, default: { kind: 'expression', value: 'current_timestamp()' } }),
      'column added: stamp DATETIME NOT NULL DEFAULT current_timestamp()'],
    [column('n', 4, 'int(11)', { nullable: false, default: { kind: 'none' } }), 'column added: n INT(11) NOT NULL'],
    [column('seq', 4, 'int(11)', { nullable: false, default: { kind: 'none' }, extra: 'auto_increment' }), 'column added: seq INT(11) NOT NULL'],
    [column('total', 4, 'decimal(12,2)', { generationExpression: '`price` * 2', extra: 'VIRTUAL GENERATED' }),
      'column added: total DECIMAL(12,2) AS (`price` * 2)'],
    [column('ratio', 4, 'float', { default: { kind: 'literal', value: '0.1' } }), "column added: ratio FLOAT DEFAULT '0.1'"],
    [column('at', 4, 'timestamp', { default: { kind: 'literal', value: '2024-01-01 00:00:00' } }),
      "column added: at TIMESTAMP DEFAULT '2024-01-01 00:00:00'"],
    [column('doc', 4, 'longtext', { isJsonAlias: true, default: { kind: 'literal', value: '{}' } }), "column added: doc JSON DEFAULT '{}'"],
  ];
  for (const [added, summary] of cases) {
    const result = compareSchemas(BEFORE, table([ID, NAME, PRICE, added]));
    assert.deepEqual(result, { kind: 'rebuild', summary }, added.name);
  }
});

test('dropped renamed and retyped columns', () => {
  assert.deepEqual(compareSchemas(BEFORE, table([ID, NAME])), { kind: 'rebuild', summary: 'column dropped: price' });
  assert.deepEqual(
    compareSchemas(BEFORE, table([ID, { ...NAME, name: 'label' }, PRICE])),
    { kind: 'rebuild', summary: 'column renamed: name -> label' },
  );
  assert.deepEqual(
    compareSchemas(BEFORE, table([ID, NAME, { ...PRICE, columnType: 'decimal(12,2) unsigned' }])),
    { kind: 'rebuild', summary: 'type changed: price DECIMAL(10,2) -> DECIMAL(12,2) UNSIGNED' },
  );
  // Another type at the old position is a drop and an add, not a rename.
  assert.deepEqual(
    compareSchemas(BEFORE, table([ID, NAME, column('cost', 3, 'double')])),
    { kind: 'rebuild', summary: 'column dropped: price; column added: cost DOUBLE' },
  );
});

test('attribute and key changes', () => {
  assert.deepEqual(
    compareSchemas(BEFORE, table([ID, { ...NAME, nullable: false, default: { kind: 'literal', value: 'x' } }, PRICE])),
    { kind: 'rebuild', summary: "column changed: name (now NOT NULL, default NULL -> 'x')" },
  );
  assert.deepEqual(
    compareSchemas(BEFORE, table([ID, { ...NAME, collation: 'utf8mb4_bin' }, PRICE])),
    { kind: 'rebuild', summary: 'column changed: name (collation utf8mb4_general_ci -> utf8mb4_bin)' },
  );
  assert.deepEqual(compareSchemas(BEFORE, table([ID, NAME, PRICE], ['id', 'name'])), { kind: 'rebuild', summary: 'key changed: (id) -> (id, name)' });
  assert.deepEqual(compareSchemas(BEFORE, table([ID, NAME, PRICE], [])), { kind: 'rebuild', summary: 'key changed: (id) -> none' });
});

test('changes are joined', () => {
  const note = column('note', 3, 'text');
  const result = compareSchemas(BEFORE, table([ID, { ...NAME, columnType: 'varchar(40)' }, note]));
  assert.deepEqual(result, { kind: 'rebuild', summary: 'column dropped: price; type changed: name VARCHAR(20) -> VARCHAR(40); column added: note TEXT' });
});

test('column order change in place', () => {
  const result = compareSchemas(BEFORE, table([{ ...PRICE, ordinal: 1 }, { ...ID, ordinal: 2 }, { ...NAME, ordinal: 3 }]));
  assert.deepEqual(result, { kind: 'in-place', summary: 'column order changed', added: [] });
});

test('fill of added columns', () => {
  assert.deepEqual(fillOfAddedColumn(column('a', 1, 'int(11)', { default: { kind: 'none' } })), { kind: 'null' });
  assert.deepEqual(fillOfAddedColumn(column('a', 1, "enum('x','y')", { default: { kind: 'literal', value: 'y' } })), { kind: 'literal', value: 'y' });
  assert.equal(fillOfAddedColumn(column('a', 1, 'blob', { default: { kind: 'literal', value: 'x' } })), null);
  assert.equal(fillOfAddedColumn(column('a', 1, 'datetime', { default: { kind: 'expression', value: 'now()' } })), null);
});

test('column types formatted', () => {
  assert.equal(formatColumnType(column('a', 1, "enum('Small','large')")), "ENUM('Small','large')");
  assert.equal(formatColumnType(column('a', 1, 'bigint(20) unsigned zerofill')), 'BIGINT(20) UNSIGNED ZEROFILL');
  assert.equal(formatColumnType(column('a', 1, 'double')), 'DOUBLE');
});

test('off-default query shape', () => {
  const source: SourceTable = { ...table([ID, NAME]), estimatedRows: 0 };
  const timestamp = offDefaultQuery(source, 'name', { kind: 'literal', value: 'x' },
    { mode: 'timestamp', column: 'updated_at', columnIndex: 2 }, { value: '2024-01-01 00:00:00', key: [3] });
  assert.equal(timestamp.sql,
    'SELECT 1 FROM `t` WHERE (`updated_at` IS NULL OR `updated_at` <= ?) AND NOT (CAST(CONVERT(`name` USING utf8mb4) AS BINARY) <=> CAST(? AS BINARY)) LIMIT 1');
  assert.deepEqual(timestamp.values, ['2024-01-01 00:00:00', 'x']);

  const id = offDefaultQuery(source, 'name', { kind: 'null' }, { mode: 'id', column: 'id', columnIndex: 0 }, { value: '7', key: [7] });
  assert.equal(id.sql, 'SELECT 1 FROM `t` WHERE `id` <= ? AND `name` IS NOT NULL LIMIT 1');
  assert.deepEqual(id.values, [7]);

  const big = offDefaultQuery(source, 'name', { kind: 'null' }, { mode: 'id', column: 'id', columnIndex: 0 },
    { value: '9007199254740993', key: [9007199254740993n] });
  assert.deepEqual(big.values, ['9007199254740993']);
});
