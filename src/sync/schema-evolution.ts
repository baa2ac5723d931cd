/**
 * Schema evolution at sync time: reads the definition a replica table was last synced from, and
 * follows an in-place change (added columns, a new column order) with `ALTER TABLE … ADD COLUMN`
 * so that an incremental run can go on merging. Every other change is left to a full load.
 */
import type { DuckDBConnection, DuckDBValue } from '@duckdb/node-api';
import { ValueConversionError, type ColumnPlan, type KeyKind, type SourceColumn, type TablePlan } from '../catalog/index.js';
import { quoteIdentifier } from '../replica/index.js';
import { quoteMysqlIdentifier, type PageQuery, type SourceDatabase, type SourceTable } from '../source/index.js';
import type { Replica } from '../replica/index.js';
import type { WatermarkChoice } from './incremental-choice.js';
import { compareSchemas, type AddedColumn, type ColumnFill, type SchemaComparison, type StoredSchema } from './schema-diff.js';
import type { WatermarkMark } from './sessions.js';
import { setColumnComment, sourceColumnsJson, typePlanJson } from './swap.js';

export type InPlaceChange = Extract<SchemaComparison, { kind: 'in-place' }>;

/** Reads the source definition stored at the table's last sync, or null when the replica has none. */
export async function readStoredSchema(connection: DuckDBConnection, table: string): Promise<StoredSchema | null> {
  const reader = await connection.runAndReadAll(
    `SELECT CAST(source_columns AS VARCHAR) AS source_columns, CAST(key_columns AS VARCHAR) AS key_columns, key_kind, schema_hash
       FROM _duckling.tables WHERE table_name = $table`,
    { table },
  );
  const row = reader.getRowObjectsJS()[0];
  if (!row) return null;
  return {
    columns: JSON.parse(String(row.source_columns)) as SourceColumn[],
    key: { columns: JSON.parse(String(row.key_columns)) as string[], kind: String(row.key_kind) as KeyKind },
    schemaHash: String(row.schema_hash),
  };
}

/** Compares the source definition of `table` with the one stored in the replica. */
export async function compareWithReplica(replica: Replica, table: SourceTable): Promise<SchemaComparison> {
  const stored = await replica.withReader((reader) => readStoredSchema(reader, table.name));
  return compareSchemas(stored, table);
}

export interface InPlaceInput {
  replica: Replica;
  source: SourceDatabase;
  table: SourceTable;
  plan: TablePlan;
  change: InPlaceChange;
  /** Watermark of the merge that follows; rows it reads again need no check. */
  choice: Extract<WatermarkChoice, { mode: 'timestamp' | 'id' }>;
  stored: WatermarkMark;
}

export type InPlaceOutcome = { applied: true } | { applied: false; reason: string };

/**
 * Adds the new columns to the replica table in place, filled as the source filled its existing
 * rows, and stores the new definition. Returns `applied: false` with the reason, and changes
 * nothing, when that fill is not proven. That happens when the column's converter cannot store
 * the default, or when a source row that the merge will not read again differs from the default.
 * Such a row exists when the default changed after the column was added, or when the row was
 * updated without moving its watermark.
 */
export async function evolveInPlace(input: InPlaceInput): Promise<InPlaceOutcome> {
  const converted = convertDefaults(input.plan, input.change.added);
  if ('reason' in converted) return { applied: false, reason: converted.reason };

  const offDefault = await findColumnOffDefault(input);
  if (offDefault !== null) {
    return { applied: false, reason: `existing source rows of column ${offDefault} hold values other than its default` };
  }

  await input.replica.withWriter((writer) => addColumnsInPlace(writer, input.table, input.plan, converted.columns));
  return { applied: true };
}

interface ColumnWithValue {
  plan: ColumnPlan;
  /** Value of every existing row, already converted to the column's DuckDB type; null for NULL. */
  value: DuckDBValue | null;
}

/** Converts each literal default with its column's converter, as a row value read from the source would be. */
function convertDefaults(plan: TablePlan, added: readonly AddedColumn[]): { columns: ColumnWithValue[] } | { reason: string } {
  const columns: ColumnWithValue[] = [];
  for (const { column, fill } of added) {
    const columnPlan = plan.columns.find((candidate) => candidate.name === column.name);
    if (!columnPlan) throw new Error(`column ${column.name} is missing from the type plan of table ${plan.table}`);
    if (fill.kind === 'null') {
      columns.push({ plan: columnPlan, value: null });
      continue;
    }
    try {
      const converted = columnPlan.toParameter(fill.value);
      // A zero date becomes NULL in a load and is counted there; the in-place fill would not count it.
      if (converted.nulled) return { reason: `default '${fill.value}' of column ${column.name} is a zero date` };
      columns.push({ plan: columnPlan, value: converted.value });
    } catch (error) {
      if (!(error instanceof ValueConversionError)) throw error;
      return { reason: `default of column ${column.name} cannot be stored exactly: ${error.message}` };
    }
  }
  return { columns };
}

/**
 * Returns the first added column for which a source row that the merge will not read again has
 * a value other than the default, or null when there is none. Those rows are the rows at or below
 * the stored watermark (timestamp mode, NULL watermarks included) or key (id mode). That is a
 * superset of the rows the merge skips, so a lookback only makes the check stricter.
 */
async function findColumnOffDefault(input: InPlaceInput): Promise<string | null> {
  if (input.change.added.length === 0) return null;
  const snapshot = await input.source.openSnapshot();
  try {
    for (const { column, fill } of input.change.added) {
      const query = offDefaultQuery(input.table, column.name, fill, input.choice, input.stored);
      for await (const batch of snapshot.readQueryBatches(query)) {
        if (batch.length > 0) return column.name;
      }
    }
    return null;
  } finally {
    await snapshot.release();
  }
}

/**
 * Builds `SELECT 1 … LIMIT 1` over the rows the merge will not read again whose `column` differs
 * from `fill`. A literal is compared with the value's text in utf8mb4, byte for byte, because the
 * row reader gets that same text: a case-insensitive or PAD SPACE collation would call 'A' and
 * 'a ' equal to 'a'. Numbers compare the same way, since the reader parses their text.
 */
export function offDefaultQuery(
  table: SourceTable,
  column: string,
  fill: ColumnFill,
  choice: InPlaceInput['choice'],
  stored: WatermarkMark,
): PageQuery {
  const name = quoteMysqlIdentifier(column);
  const watermark = quoteMysqlIdentifier(choice.column);
  const values: unknown[] = [];

  let notReadAgain: string;
  if (choice.mode === 'timestamp') {
    notReadAgain = `(${watermark} IS NULL OR ${watermark} <= ?)`;
    values.push(stored.value);
  } else {
    // A BIGINT key compared with a string parameter is compared as a double. Rounding is
    // monotonic, so every key at or below the stored one still matches.
    notReadAgain = `${watermark} <= ?`;
    const key = stored.key[0];
    values.push(typeof key === 'bigint' ? key.toString() : key);
  }

  let differs: string;
  if (fill.kind === 'null') differs = `${name} IS NOT NULL`;
  else {
    differs = `NOT (CAST(CONVERT(${name} USING utf8mb4) AS BINARY) <=> CAST(? AS BINARY))`;
    values.push(fill.value);
  }

  return {
    sql: `SELECT 1 FROM ${quoteMysqlIdentifier(table.name)} WHERE ${notReadAgain} AND ${differs} LIMIT 1`,
    values,
    rawByteColumns: false,
  };
}

/**
 * In one writer transaction: adds each column (DuckDB fills existing rows with NULL), sets it to
 * its default value where that is not NULL, sets the column comments and stores the new source
 * definition, type plan and schema hash. The value is bound as a parameter because DuckDB takes
 * no parameter in a column's DEFAULT clause, and rendering values into SQL text is what the
 * converters exist to avoid. A failure rolls everything back.
 */
async function addColumnsInPlace(
  connection: DuckDBConnection,
  table: SourceTable,
  plan: TablePlan,
  columns: readonly ColumnWithValue[],
): Promise<void> {
  const live = `main.${quoteIdentifier(table.name)}`;
  await connection.run('BEGIN TRANSACTION');
  try {
    for (const { plan: column, value } of columns) {
      const name = quoteIdentifier(column.name);
      await connection.run(`ALTER TABLE ${live} ADD COLUMN ${name} ${column.duckdbType}`);
      if (value !== null) await connection.run(`UPDATE ${live} SET ${name} = CAST($1 AS ${column.duckdbType})`, [value]);
      await setColumnComment(connection, table.name, column);
    }
    await connection.run(
      `UPDATE _duckling.tables
          SET source_columns = $columns, type_plan = $typePlan, schema_hash = $hash, updated_at = now()
        WHERE table_name = $table`,
      { table: table.name, columns: sourceColumnsJson(table), typePlan: typePlanJson(plan), hash: plan.schemaHash },
    );
    await connection.run('COMMIT');
  } catch (error) {
    // The original error is the one to report, because a failed ROLLBACK means the transaction is already gone.
    await connection.run('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
