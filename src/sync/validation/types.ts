/** Bodies of the validation routes (`/api/sync/validate`, `/api/validation/*`). */

export type ValidationMode = 'count' | 'checksum';

/** A key tuple in the value encoding of query results, e.g. `[5, "2005-05-24 22:53:30"]`. */
export type EncodedKey = unknown[];

/** A chunk of keys whose rows differ between source and replica; both ends are inclusive. */
export interface MismatchedRange {
  fromKey: EncodedKey;
  toKey: EncodedKey;
  mysqlRows: number;
  duckdbRows: number;
}

/** Result of one table in `GET /api/sync/validate`. */
export interface TableValidation {
  table: string;
  /** Exact row count at the source; null when the source could not be read or lacks the table. */
  mysqlCount: number | null;
  /** Exact row count in the replica; null when the replica lacks the table (an error, not zero). */
  duckdbCount: number | null;
  /** True when the counts (and, in checksum mode, the checksums) agree and no error occurred. */
  match: boolean;
  /** `mysqlCount − duckdbCount`; null when either count is missing. */
  difference: number | null;
  /** Checksum mode only; null when the table has no key, so it has no defined row order. */
  checksumMatch?: boolean | null;
  mismatchedRanges?: MismatchedRange[];
  /** Checksum mode only: SHA-256 (hex) of the chunk hashes in key order, per side. */
  mysqlChecksum?: string | null;
  duckdbChecksum?: string | null;
  /** Checksum mode only: why the checksum was not computed. */
  checksumSkipped?: string;
  /** End of the table's last successful sync (ISO-8601 UTC), null when never synced. */
  lastSyncAt: string | null;
  /** `sequential` or `watermark`, the kind of the table's last sync; null when never synced. */
  syncType: string | null;
  error?: string;
}

export interface ValidationSummary {
  totalTables: number;
  matchingTables: number;
  mismatchedTables: number;
  errorTables: number;
  totalMysqlRecords: number;
  totalDuckdbRecords: number;
}

/** Body of `GET /api/sync/validate`. */
export interface ValidationReport {
  validationResults: TableValidation[];
  summary: ValidationSummary;
}

/** One row of `GET /api/validation/mysql-tables`. */
export interface SourceTableEntry {
  name: string;
  excluded: boolean;
}

/** One side of `POST /api/validation/table-details`. */
export interface TableSideDetails {
  exists: boolean;
  columnCount: number;
  recordCount: number | null;
  columns: string[];
  /** The greatest key as text (a JSON tuple for composite keys); null when keyless or empty. */
  maxId: string | null;
  /** SUM of a single integer key as a digit string; null otherwise. */
  checksum: string | null;
}

export type TableErrorType =
  | 'schema_mismatch'
  | 'max_id_mismatch'
  | 'checksum_mismatch'
  | 'record_count_mismatch'
  | 'missing_in_duckdb'
  | 'orphaned_in_duckdb';

/** Body of `POST /api/validation/table-details`. */
export interface TableDetailsReport {
  primaryKey: string[];
  duckdb: TableSideDetails;
  mysql: TableSideDetails;
  columnsMatch: boolean;
  /** Source columns the replica lacks. */
  missingColumns: string[];
  /** Replica columns the source lacks. */
  extraColumns: string[];
  errorType: TableErrorType | null;
  errorMessage: string | null;
  mysqlCountSkipped: boolean;
}
