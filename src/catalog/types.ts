import type { DuckDBType, DuckDBValue } from '@duckdb/node-api';
import type { NULLED } from './codec.js';

/**
 * A column default normalised across flavours: `none` (no default), `null`, `literal` with the
 * unquoted value, or `expression` with lower-cased text such as `current_timestamp(3)`.
 */
export type ColumnDefault =
  | { kind: 'none' }
  | { kind: 'null' }
  | { kind: 'literal'; value: string }
  | { kind: 'expression'; value: string };

/** One source column as `information_schema.COLUMNS` describes it. */
export interface SourceColumn {
  name: string;
  /** 1-based `ORDINAL_POSITION`. */
  ordinal: number;
  /** `DATA_TYPE`, lower case, e.g. `bigint` or `longtext`. */
  dataType: string;
  /** `COLUMN_TYPE` exactly, e.g. `decimal(12,2) unsigned`; kept as the replica column comment. */
  columnType: string;
  nullable: boolean;
  /** `COLUMN_KEY`: `PRI`, `UNI`, `MUL` or empty. */
  columnKey: string;
  default: ColumnDefault;
  /** `EXTRA`, e.g. `auto_increment` or `on update current_timestamp()`. */
  extra: string;
  charset: string | null;
  collation: string | null;
  /** Expression of a generated column, else null. */
  generationExpression: string | null;
  numericPrecision: number | null;
  numericScale: number | null;
  datetimePrecision: number | null;
  /** MariaDB's JSON: a LONGTEXT column with a `json_valid(col)` check constraint. */
  isJsonAlias: boolean;
}

export type KeyKind = 'primary' | 'unique' | 'none';

/** Columns and key of a table, the part of a source table that a type plan depends on. */
export interface TableDefinition {
  name: string;
  columns: SourceColumn[];
  key: { columns: string[]; kind: KeyKind };
}

/** Storage type and value conversion of one source column in DuckDB. */
export interface ColumnPlan {
  name: string;
  /** The source `COLUMN_TYPE` exactly. */
  sourceType: string;
  /** DuckDB type as DDL text, e.g. `DECIMAL(12,2)` or `TIMESTAMP WITH TIME ZONE`. */
  duckdbType: string;
  /** The same type as a node-api type object, for typed parameter binding. */
  type: DuckDBType;
  /**
   * Converts one source value (as the source reader returns it) into a bindable parameter value
   * for the INSERT fallback path. `nulled` is true when a zero or partial date became NULL.
   * Throws `ValueConversionError` when the value cannot be stored losslessly.
   */
  toParameter(value: unknown): { value: DuckDBValue | null; nulled: boolean };
  /**
   * The same conversion without the wrapper object, for filling DataChunk vectors: the value
   * (which `DuckDBVector.setItem` of `type` accepts), null for NULL, or `NULLED` for a zero or
   * partial date stored as NULL.
   */
  toItem(value: unknown): DuckDBValue | null | typeof NULLED;
}

export interface TablePlan {
  table: string;
  columns: ColumnPlan[];
  keyColumns: string[];
  keyKind: KeyKind;
  /** SHA-256 (hex) over the normalised column definitions and the key. */
  schemaHash: string;
  /**
   * True when every key column sorts the same in the source and in DuckDB (integer, decimal up to
   * 38 digits, temporal and binary columns, strings under a `_bin` collation), so a load can
   * resume after its saved key cursor.
   */
  keyOrdersSame: boolean;
}
