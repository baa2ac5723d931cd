/**
 * Compares the source definition of a table with the one stored in `_duckling.tables` at its last
 * sync, and decides whether the replica table can follow the change in place or must be rebuilt.
 * Columns are aligned by name, so a column that only moved is not a change of its own.
 */
import { schemaHash, type ColumnDefault, type KeyKind, type SourceColumn, type TableDefinition } from '../catalog/index.js';

/** The source definition a replica table was last synced from. */
export interface StoredSchema {
  columns: SourceColumn[];
  key: { columns: string[]; kind: KeyKind };
  schemaHash: string;
}

/** Value that every existing source row has in an added column: NULL, or the literal default. */
export type ColumnFill = { kind: 'null' } | { kind: 'literal'; value: string };

export interface AddedColumn {
  column: SourceColumn;
  fill: ColumnFill;
}

/**
 * Result of a comparison. `in-place`: every change is an added column that existing rows hold as
 * NULL or a literal default, or a new column order, so `ALTER TABLE … ADD COLUMN` can follow it.
 * `rebuild`: anything else, which a full load of the table replaces. `summary` is the text recorded
 * as `schemaChange`, changes joined by `; `.
 */
export type SchemaComparison =
  | { kind: 'unchanged' }
  | { kind: 'created'; summary: string }
  | { kind: 'in-place'; summary: string; added: AddedColumn[] }
  | { kind: 'rebuild'; summary: string };

/**
 * Types whose literal default reads back from `information_schema.COLUMNS` as the same text the
 * row reader returns for the value. FLOAT is missing because rows are read widened to DOUBLE,
 * TIMESTAMP because its default text depends on the session time zone, and binary, BIT, JSON and
 * spatial types because their default text is not the stored bytes.
 */
const PORTABLE_DEFAULT_TYPES = new Set([
  'tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint', 'decimal', 'numeric', 'double', 'real', 'year',
  'date', 'datetime', 'time', 'char', 'varchar', 'tinytext', 'text', 'mediumtext', 'longtext', 'enum', 'set',
]);

/** Compares the stored definition (null when the replica has none) with the current source definition. */
export function compareSchemas(stored: StoredSchema | null, current: TableDefinition): SchemaComparison {
  if (stored === null) return { kind: 'created', summary: 'table created' };
  if (stored.schemaHash === schemaHash(current)) return { kind: 'unchanged' };

  const changes: string[] = [];
  let rebuild = false;
  const rebuildFor = (change: string): void => {
    changes.push(change);
    rebuild = true;
  };

  const currentNames = new Set(current.columns.map((column) => column.name));
  const storedByName = new Map(stored.columns.map((column) => [column.name, column]));
  const dropped = stored.columns.filter((column) => !currentNames.has(column.name));
  const added = current.columns.filter((column) => !storedByName.has(column.name));

  // A rename looks like a drop and an add. They are paired when the new column took the old one's
  // position and type, which is what RENAME COLUMN and CHANGE old new <same type> produce.
  const renamedTo = new Map<SourceColumn, SourceColumn>();
  for (const old of dropped) {
    const match = added.find((column) => column.ordinal === old.ordinal && column.columnType === old.columnType && ![...renamedTo.values()].includes(column));
    if (match) renamedTo.set(old, match);
  }
  for (const [old, renamed] of renamedTo) rebuildFor(`column renamed: ${old.name} -> ${renamed.name}`);
  for (const old of dropped) {
    if (!renamedTo.has(old)) rebuildFor(`column dropped: ${old.name}`);
  }

  for (const column of current.columns) {
    const old = storedByName.get(column.name);
    if (!old) continue;
    if (old.columnType !== column.columnType || old.isJsonAlias !== column.isJsonAlias) {
      rebuildFor(`type changed: ${column.name} ${formatColumnType(old)} -> ${formatColumnType(column)}`);
      continue;
    }
    const attributes = changedAttributes(old, column);
    if (attributes.length > 0) rebuildFor(`column changed: ${column.name} (${attributes.join(', ')})`);
  }

  const renamedNames = new Set([...renamedTo.values()].map((column) => column.name));
  const addedInPlace: AddedColumn[] = [];
  for (const column of added) {
    if (renamedNames.has(column.name)) continue;
    const fill = fillOfAddedColumn(column);
    if (fill === null) rebuildFor(`column added: ${describeColumn(column)}`);
    else {
      changes.push(`column added: ${describeColumn(column)}`);
      addedInPlace.push({ column, fill });
    }
  }

  if (!sameKey(stored.key, current.key)) rebuildFor(`key changed: ${formatKey(stored.key)} -> ${formatKey(current.key)}`);
  if (!sameOrderOfKeptColumns(stored.columns, current.columns)) changes.push('column order changed');

  // The hash also covers details that no rule above names, and such a change is rebuilt as well.
  if (changes.length === 0) rebuildFor('source definition changed');
  const summary = changes.join('; ');
  return rebuild ? { kind: 'rebuild', summary } : { kind: 'in-place', summary, added: addedInPlace };
}

/**
 * Returns the value that the existing source rows have in an added column, or null when the
 * definition alone does not tell. It does not tell for a generated or AUTO_INCREMENT column, or for
 * an expression default such as CURRENT_TIMESTAMP, whose value the server computed at ALTER time.
 * Nor does it for a NOT NULL column without a default (the server filled in the type's implicit
 * default), or for a literal default of a type outside `PORTABLE_DEFAULT_TYPES`.
 */
export function fillOfAddedColumn(column: SourceColumn): ColumnFill | null {
  if (column.generationExpression !== null || /\bauto_increment\b/i.test(column.extra)) return null;
  switch (column.default.kind) {
    case 'null':
      return { kind: 'null' };
    case 'none':
      return column.nullable ? { kind: 'null' } : null;
    case 'literal':
      return PORTABLE_DEFAULT_TYPES.has(column.dataType) && !column.isJsonAlias ? { kind: 'literal', value: column.default.value } : null;
    case 'expression':
      return null;
  }
}

/** Names the attributes other than the type that differ between two versions of a column. */
function changedAttributes(old: SourceColumn, column: SourceColumn): string[] {
  const changed: string[] = [];
  if (old.nullable !== column.nullable) changed.push(column.nullable ? 'now nullable' : 'now NOT NULL');
  if (!sameDefault(old.default, column.default)) changed.push(`default ${formatDefault(old.default)} -> ${formatDefault(column.default)}`);
  if (old.extra !== column.extra) changed.push(`extra "${old.extra}" -> "${column.extra}"`);
  if (old.charset !== column.charset || old.collation !== column.collation) {
    changed.push(`collation ${old.collation ?? 'none'} -> ${column.collation ?? 'none'}`);
  }
  if (old.generationExpression !== column.generationExpression) changed.push('generation expression');
  return changed;
}

function sameDefault(left: ColumnDefault, right: ColumnDefault): boolean {
  const value = (entry: ColumnDefault) => (entry.kind === 'literal' || entry.kind === 'expression' ? entry.value : null);
  return left.kind === right.kind && value(left) === value(right);
}

function sameKey(left: StoredSchema['key'], right: TableDefinition['key']): boolean {
  return left.kind === right.kind && left.columns.length === right.columns.length && left.columns.every((name, index) => name === right.columns[index]);
}

/** True when the columns present in both versions keep their relative order. */
function sameOrderOfKeptColumns(stored: readonly SourceColumn[], current: readonly SourceColumn[]): boolean {
  const currentNames = new Set(current.map((column) => column.name));
  const storedNames = new Set(stored.map((column) => column.name));
  const before = stored.filter((column) => currentNames.has(column.name)).map((column) => column.name);
  const after = current.filter((column) => storedNames.has(column.name)).map((column) => column.name);
  return before.every((name, index) => name === after[index]);
}

/** Describes a column as DDL reads: `note VARCHAR(20)`, `status VARCHAR(10) NOT NULL DEFAULT 'new'`. */
function describeColumn(column: SourceColumn): string {
  const parts = [column.name, formatColumnType(column)];
  if (!column.nullable) parts.push('NOT NULL');
  if (column.default.kind === 'literal' || column.default.kind === 'expression') parts.push(`DEFAULT ${formatDefault(column.default)}`);
  if (column.generationExpression !== null) parts.push(`AS (${column.generationExpression})`);
  return parts.join(' ');
}

/** Upper-cases a `COLUMN_TYPE` outside its brackets: `decimal(12,2) unsigned` becomes `DECIMAL(12,2) UNSIGNED`, and ENUM labels keep their case. */
export function formatColumnType(column: SourceColumn): string {
  if (column.isJsonAlias) return 'JSON';
  const type = column.columnType;
  const open = type.indexOf('(');
  const close = type.lastIndexOf(')');
  if (open < 0 || close < open) return type.toUpperCase();
  return type.slice(0, open).toUpperCase() + type.slice(open, close + 1) + type.slice(close + 1).toUpperCase();
}

function formatDefault(value: ColumnDefault): string {
  switch (value.kind) {
    case 'none':
      return 'none';
    case 'null':
      return 'NULL';
    case 'literal':
      return `'${value.value.replace(/'/g, "''")}'`;
    case 'expression':
      return value.value;
  }
}

function formatKey(key: StoredSchema['key']): string {
  return key.kind === 'none' || key.columns.length === 0 ? 'none' : `(${key.columns.join(', ')})`;
}
