import type { Pool, RowDataPacket } from 'mysql2/promise';
import type { ColumnDefault, KeyKind, SourceColumn, TableDefinition } from '../catalog/index.js';

export type Flavour = 'mysql' | 'mariadb';

/** A source base table: columns, key and the server's row estimate. */
export interface SourceTable extends TableDefinition {
  /** `information_schema.TABLES.TABLE_ROWS`, an estimate for InnoDB. */
  estimatedRows: number;
}

/** MySQL 8 returns some information_schema columns as binary strings. */
function text(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  return Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
}

function numberOrNull(value: unknown): number | null {
  const raw = text(value);
  return raw === null || raw === '' ? null : Number(raw);
}

/**
 * Reads the base tables of `schema` (MariaDB system-versioned tables included, sequences and
 * views never) with their columns and keys, sorted by name in code-unit order. With
 * `onlyTable` only that table is read.
 */
export async function discoverTables(pool: Pool, schema: string, flavour: Flavour, onlyTable?: string): Promise<SourceTable[]> {
  const tableFilter = onlyTable === undefined ? '' : ' AND TABLE_NAME = ?';
  const parameters = onlyTable === undefined ? [schema] : [schema, onlyTable];

  const [tableRows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS name, TABLE_ROWS AS estimated_rows FROM information_schema.TABLES
     WHERE TABLE_SCHEMA = ? AND TABLE_TYPE IN ('BASE TABLE', 'SYSTEM VERSIONED')${tableFilter}`,
    parameters,
  );
  const columns = await readColumns(pool, schema, flavour, tableFilter, parameters);
  const keys = await readKeys(pool, schema, tableFilter, parameters, columns);

  const tables = tableRows.map((row): SourceTable => {
    const name = text(row.name) ?? '';
    return {
      name,
      columns: columns.get(name) ?? [],
      key: keys.get(name) ?? { columns: [], kind: 'none' },
      estimatedRows: numberOrNull(row.estimated_rows) ?? 0,
    };
  });
  return tables.sort((left, right) => compareCodeUnits(left.name, right.name));
}

function compareCodeUnits(left: string, right: string): number {
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

async function readColumns(
  pool: Pool,
  schema: string,
  flavour: Flavour,
  tableFilter: string,
  parameters: string[],
): Promise<Map<string, SourceColumn[]>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS table_name, COLUMN_NAME AS name, ORDINAL_POSITION AS ordinal, DATA_TYPE AS data_type,
            COLUMN_TYPE AS column_type, IS_NULLABLE AS is_nullable, COLUMN_KEY AS column_key,
            COLUMN_DEFAULT AS column_default, EXTRA AS extra, CHARACTER_SET_NAME AS charset,
            COLLATION_NAME AS collation, GENERATION_EXPRESSION AS generation_expression,
            NUMERIC_PRECISION AS numeric_precision, NUMERIC_SCALE AS numeric_scale, DATETIME_PRECISION AS datetime_precision
     FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ?${tableFilter}`,
    parameters,
  );
  const jsonColumns = flavour === 'mariadb' ? await readJsonAliases(pool, schema) : new Set<string>();

  const byTable = new Map<string, SourceColumn[]>();
  for (const row of rows) {
    const table = text(row.table_name) ?? '';
    const column = toSourceColumn(row, flavour);
    column.isJsonAlias = column.dataType === 'longtext' && jsonColumns.has(`${table}\u0000${column.name}`);
    const list = byTable.get(table) ?? [];
    list.push(column);
    byTable.set(table, list);
  }
  for (const list of byTable.values()) list.sort((left, right) => left.ordinal - right.ordinal);
  return byTable;
}

function toSourceColumn(row: RowDataPacket, flavour: Flavour): SourceColumn {
  const extra = text(row.extra) ?? '';
  const nullable = text(row.is_nullable) === 'YES';
  const generation = text(row.generation_expression);
  return {
    name: text(row.name) ?? '',
    ordinal: Number(row.ordinal),
    dataType: (text(row.data_type) ?? '').toLowerCase(),
    columnType: text(row.column_type) ?? '',
    nullable,
    columnKey: text(row.column_key) ?? '',
    default: normaliseDefault(text(row.column_default), extra, nullable, flavour),
    extra,
    charset: text(row.charset),
    collation: text(row.collation),
    generationExpression: generation === '' ? null : generation,
    numericPrecision: numberOrNull(row.numeric_precision),
    numericScale: numberOrNull(row.numeric_scale),
    datetimePrecision: numberOrNull(row.datetime_precision),
    isJsonAlias: false,
  };
}

/**
 * Normalises `COLUMN_DEFAULT`. MariaDB (10.2.7 and later) writes `NULL` for a null default,
 * quotes literals and leaves expressions bare; MySQL never quotes and marks expressions with
 * `DEFAULT_GENERATED` in EXTRA, and a nullable column without a default has default NULL.
 */
export function normaliseDefault(raw: string | null, extra: string, nullable: boolean, flavour: Flavour): ColumnDefault {
  if (flavour === 'mariadb') {
    if (raw === null) return { kind: 'none' };
    if (raw === 'NULL') return { kind: 'null' };
    if (raw.startsWith("'") && raw.endsWith("'") && raw.length >= 2) {
      return { kind: 'literal', value: raw.slice(1, -1).replace(/''/g, "'").replace(/\\\\/g, '\\') };
    }
    if (/^[+-]?[0-9.]+(e[+-]?[0-9]+)?$/i.test(raw)) return { kind: 'literal', value: raw };
    return { kind: 'expression', value: raw.toLowerCase() };
  }
  if (raw === null) return nullable ? { kind: 'null' } : { kind: 'none' };
  if (/\bDEFAULT_GENERATED\b/i.test(extra)) return { kind: 'expression', value: raw.toLowerCase() };
  return { kind: 'literal', value: raw };
}

/** Columns `table\0column` that MariaDB declared as JSON, i.e. with a `json_valid(col)` check. */
async function readJsonAliases(pool: Pool, schema: string): Promise<Set<string>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS table_name, CONSTRAINT_NAME AS name, CHECK_CLAUSE AS clause
     FROM information_schema.CHECK_CONSTRAINTS WHERE CONSTRAINT_SCHEMA = ?`,
    [schema],
  );
  const found = new Set<string>();
  for (const row of rows) {
    const name = text(row.name) ?? '';
    const clause = (text(row.clause) ?? '').replace(/\s+/g, '').toLowerCase();
    if (clause === `json_valid(\`${name.replace(/`/g, '``').toLowerCase()}\`)`) found.add(`${text(row.table_name)}\u0000${name}`);
  }
  return found;
}

/**
 * Reads each table's key: the PRIMARY KEY in `SEQ_IN_INDEX` order, else the first UNIQUE index
 * whose columns are all NOT NULL, otherwise none. "First" follows the order in which the server
 * lists indexes, which is also the order InnoDB uses to pick a clustered key.
 */
async function readKeys(
  pool: Pool,
  schema: string,
  tableFilter: string,
  parameters: string[],
  columns: Map<string, SourceColumn[]>,
): Promise<Map<string, { columns: string[]; kind: KeyKind }>> {
  const [rows] = await pool.query<RowDataPacket[]>(
    `SELECT TABLE_NAME AS table_name, INDEX_NAME AS index_name, NON_UNIQUE AS non_unique,
            SEQ_IN_INDEX AS seq, COLUMN_NAME AS column_name
     FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ?${tableFilter}`,
    parameters,
  );

  // table -> index name -> columns with their position, in the order the server listed them
  const indexes = new Map<string, Map<string, Array<{ seq: number; column: string | null; unique: boolean }>>>();
  for (const row of rows) {
    const table = text(row.table_name) ?? '';
    const byIndex = indexes.get(table) ?? new Map();
    indexes.set(table, byIndex);
    const index = text(row.index_name) ?? '';
    const parts = byIndex.get(index) ?? [];
    byIndex.set(index, parts);
    parts.push({ seq: Number(row.seq), column: text(row.column_name), unique: Number(row.non_unique) === 0 });
  }

  const keys = new Map<string, { columns: string[]; kind: KeyKind }>();
  for (const [table, byIndex] of indexes) {
    const notNull = new Set((columns.get(table) ?? []).filter((column) => !column.nullable).map((column) => column.name));
    const ordered = (parts: Array<{ seq: number; column: string | null }>) =>
      [...parts].sort((left, right) => left.seq - right.seq).map((part) => part.column);

    const primary = byIndex.get('PRIMARY');
    if (primary) {
      keys.set(table, { columns: ordered(primary) as string[], kind: 'primary' });
      continue;
    }
    for (const parts of byIndex.values()) {
      const indexColumns = ordered(parts);
      const usable = parts.every((part) => part.unique) && indexColumns.every((name) => name !== null && notNull.has(name));
      if (usable) {
        keys.set(table, { columns: indexColumns as string[], kind: 'unique' });
        break;
      }
    }
  }
  return keys;
}
