/**
 * Reads behind the table routes: lists, counts, schemas and data pages of the replicated tables
 * in schema `main`. Staging tables and the `_duckling` schema are never listed or readable here.
 * Every read goes through the query governor, at `high` priority except the data page, which is
 * a user read. Identifiers are quoted and values bound.
 */
import type { Config } from '../config/index.js';
import { DucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { STAGING_PREFIX, quoteIdentifier, type Replica } from '../replica/index.js';
import { rowsAsObjects } from './formats.js';
import type { QueryService } from './query-service.js';
import type { EncodedValue, QueryParams, QueryResult } from './types.js';
import { parseKeyColumns, parseSourceColumns, type SourceColumn } from './table-metadata.js';

const MAX_TABLE_NAME_LENGTH = 128;
export const MAX_PAGE_LIMIT = 10_000;

/** Who asked, for fairness and logs, and the signal that cancels the read. */
export interface ReadContext {
  principal?: string;
  signal?: AbortSignal;
}

export interface TableDetail {
  name: string;
  rows: EncodedValue;
  columns: EncodedValue;
  /** Watermark mode (`timestamp`, `id`, `none`), or null before the first sync. */
  syncMode: EncodedValue;
  lastSyncAt: EncodedValue;
}

export interface TableSchemaColumn {
  column_name: string;
  column_type: string;
  /** The source `COLUMN_TYPE` kept in the column comment. */
  mysql_type: string | null;
  null: 'YES' | 'NO';
  key: string | null;
  default_value: string | null;
  extra: string | null;
}

export interface TableSchema {
  table: string;
  columns: TableSchemaColumn[];
}

/** Conditions on `duckdb_tables() t` that keep the replicated tables of schema `main`. */
const REPLICATED_TABLES = `t.database_name = current_database() AND t.schema_name = 'main'
    AND NOT t.temporary AND NOT starts_with(t.table_name, $stagingPrefix)`;

const STAGING_PARAMS = { stagingPrefix: STAGING_PREFIX };

export class TableService {
  constructor(private readonly options: { queryService: QueryService; config: Pick<Config, 'query'>; logger?: Logger }) {}

  /** Sorted names of the replicated tables. */
  async listTables(replica: Replica, context: ReadContext = {}): Promise<string[]> {
    const sql = `SELECT t.table_name FROM duckdb_tables() t WHERE ${REPLICATED_TABLES} ORDER BY t.table_name`;
    const result = await this.read(replica, sql, STAGING_PARAMS, context, 'high');
    return result.rows.map((row) => String(row[0]));
  }

  /** Per table: row count (recorded at sync, else DuckDB's estimate), column count, sync mode and last sync. */
  async listTableDetails(replica: Replica, context: ReadContext = {}): Promise<TableDetail[]> {
    const sql = `
      SELECT t.table_name AS name, coalesce(m.row_count, t.estimated_size) AS rows, t.column_count AS columns,
             w.mode AS syncMode, m.last_sync_at AS lastSyncAt
      FROM duckdb_tables() t
        LEFT JOIN _duckling.tables m ON m.table_name = t.table_name
        LEFT JOIN _duckling.watermarks w ON w.table_name = t.table_name
      WHERE ${REPLICATED_TABLES}
      ORDER BY t.table_name`;
    const result = await this.read(replica, sql, STAGING_PARAMS, context, 'high');
    return result.rows.map(([name, rows, columns, syncMode, lastSyncAt]) => ({
      name: String(name),
      rows: rows ?? null,
      columns: columns ?? null,
      syncMode: syncMode ?? null,
      lastSyncAt: lastSyncAt ?? null,
    }));
  }

  /** Exact `count(*)` of every replicated table, in one statement. */
  async countAll(replica: Replica, context: ReadContext = {}): Promise<Record<string, EncodedValue>> {
    const tables = await this.listTables(replica, context);
    if (tables.length === 0) return {};
    const sql = tables
      .map((table, index) => `SELECT $${index + 1} AS table_name, count(*) AS row_count FROM main.${quoteIdentifier(table)}`)
      .join(' UNION ALL ');
    const result = await this.read(replica, sql, tables, context, 'high');
    const counts: Record<string, EncodedValue> = {};
    for (const [table, count] of result.rows) counts[String(table)] = count ?? 0;
    return counts;
  }

  /** Column list with DuckDB and source types; key, default and extra come from the recorded source columns. */
  async schema(replica: Replica, table: string, context: ReadContext = {}): Promise<TableSchema> {
    await this.assertTableExists(replica, table, context);
    const columnsResult = await this.read(replica, `
      SELECT column_name, data_type, comment, is_nullable, column_default
      FROM duckdb_columns()
      WHERE database_name = current_database() AND schema_name = 'main' AND table_name = $table
      ORDER BY column_index`, { table }, context, 'high');
    const source = await this.sourceColumns(replica, table, context);

    const columns = columnsResult.rows.map(([name, type, comment, nullable, columnDefault]): TableSchemaColumn => {
      const sourceColumn = source.get(String(name));
      return {
        column_name: String(name),
        column_type: String(type),
        mysql_type: comment === null || comment === '' ? sourceColumn?.columnType ?? null : String(comment),
        // Replica columns are all nullable by design, so the source's nullability is the one to show.
        null: (sourceColumn?.nullable ?? nullable !== false) ? 'YES' : 'NO',
        key: sourceColumn ? sourceColumn.columnKey : null,
        default_value: defaultValue(sourceColumn?.default, columnDefault),
        extra: sourceColumn ? sourceColumn.extra : null,
      };
    });
    return { table, columns };
  }

  /** One page of rows as objects, ordered by the key columns, or by `rowid` for a keyless table. */
  async page(
    replica: Replica,
    table: string,
    range: { limit: number; offset: number },
    context: ReadContext = {},
  ): Promise<Array<Record<string, EncodedValue>>> {
    assertPageRange(range);
    await this.assertTableExists(replica, table, context);
    const orderBy = await this.orderByClause(replica, table, context);
    const sql = `SELECT * FROM main.${quoteIdentifier(table)} ORDER BY ${orderBy} LIMIT $limit OFFSET $offset`;
    const result = await this.read(replica, sql, { limit: range.limit, offset: range.offset }, context, 'normal', range.limit);
    return rowsAsObjects(result.columns, result.rows);
  }

  /** Exact row count of one table. */
  async count(replica: Replica, table: string, context: ReadContext = {}): Promise<{ count: EncodedValue }> {
    await this.assertTableExists(replica, table, context);
    const result = await this.read(replica, `SELECT count(*) FROM main.${quoteIdentifier(table)}`, {}, context, 'high');
    return { count: result.rows[0]?.[0] ?? 0 };
  }

  private async assertTableExists(replica: Replica, table: string, context: ReadContext): Promise<void> {
    assertTableName(table);
    const sql = `SELECT 1 FROM duckdb_tables() t WHERE ${REPLICATED_TABLES} AND t.table_name = $table`;
    const result = await this.read(replica, sql, { ...STAGING_PARAMS, table }, context, 'high');
    if (result.rowCount === 0) {
      throw new DucklingError('DUCKLING_TABLE_NOT_FOUND', {
        table,
        db: replica.databaseId,
        hint: '; list the replicated tables with GET /api/tables',
      });
    }
  }

  private async sourceColumns(replica: Replica, table: string, context: ReadContext): Promise<Map<string, SourceColumn>> {
    const result = await this.read(replica, 'SELECT source_columns FROM _duckling.tables WHERE table_name = $table', { table }, context, 'high');
    return parseSourceColumns(result.rows[0]?.[0] ?? null);
  }

  /** Quoted key columns that exist in the table, else `rowid`. */
  private async orderByClause(replica: Replica, table: string, context: ReadContext): Promise<string> {
    const result = await this.read(replica, `
      SELECT k.key_columns, list(c.column_name) AS existing
      FROM _duckling.tables k, duckdb_columns() c
      WHERE k.table_name = $table AND c.database_name = current_database() AND c.schema_name = 'main' AND c.table_name = $table
      GROUP BY k.key_columns`, { table }, context, 'high');
    const row = result.rows[0];
    if (!row) return 'rowid';
    const existing = new Set(Array.isArray(row[1]) ? row[1].map(String) : []);
    const keys = parseKeyColumns(row[0] ?? null);
    if (keys.length === 0) return 'rowid';
    const missing = keys.filter((key) => !existing.has(key));
    if (missing.length > 0) {
      this.options.logger?.warn({ databaseId: replica.databaseId, table, missing }, 'recorded key columns missing; paging by rowid');
      return 'rowid';
    }
    return keys.map(quoteIdentifier).join(', ');
  }

  private read(
    replica: Replica,
    sql: string,
    params: QueryParams,
    context: ReadContext,
    priority: 'high' | 'normal',
    maxRows?: number,
  ): Promise<QueryResult> {
    const query = this.options.config.query;
    return this.options.queryService.execute({
      databaseId: replica.databaseId,
      replica,
      sql,
      params,
      maxRows: maxRows ?? query.maxRows,
      timeoutMs: query.timeoutMs,
      signal: context.signal,
      principal: context.principal ?? 'internal',
      priority,
      protocol: 'internal',
    });
  }
}

/** Table names are 1–128 characters without NUL or `;`; else 400 `DUCKLING_INVALID_IDENTIFIER`. */
export function assertTableName(table: string): void {
  const length = [...table].length;
  let reason: string | null = null;
  if (length === 0) reason = 'a table name must not be empty';
  else if (length > MAX_TABLE_NAME_LENGTH) reason = `a table name has at most ${MAX_TABLE_NAME_LENGTH} characters, this one has ${length}`;
  else if (table.includes('\0')) reason = 'a table name must not contain NUL';
  else if (table.includes(';')) reason = 'a table name must not contain ";"';
  if (reason !== null) throw new DucklingError('DUCKLING_INVALID_IDENTIFIER', { kind: 'table name', value: table, reason });
}

function assertPageRange(range: { limit: number; offset: number }): void {
  const details: Array<{ field: string; message: string }> = [];
  if (!Number.isInteger(range.limit) || range.limit < 1 || range.limit > MAX_PAGE_LIMIT) {
    details.push({ field: 'limit', message: `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${range.limit}` });
  }
  if (!Number.isSafeInteger(range.offset) || range.offset < 0) {
    details.push({ field: 'offset', message: `offset must be a non-negative integer, got ${range.offset}` });
  }
  if (details.length === 0) return;
  throw new DucklingError(
    'DUCKLING_VALIDATION_FAILED',
    { detail: details.map((detail) => detail.message).join('; ') },
    { extra: { details } },
  );
}

/** The source default when the column was recorded, else DuckDB's own default text. */
function defaultValue(sourceDefault: string | null | undefined, replicaDefault: unknown): string | null {
  if (sourceDefault !== undefined) return sourceDefault;
  return replicaDefault === null || replicaDefault === undefined ? null : String(replicaDefault);
}
