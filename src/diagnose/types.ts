/** Outcome of one diagnosis check. */
export type CheckStatus = 'pass' | 'warn' | 'fail';

/** One check as `tick` events and the diagnosis report it: what was checked, the result and what to do. */
export interface DiagnosisCheck {
  /** Stable id, e.g. `binlog_format` or `table:film`. */
  id: string;
  name: string;
  /** `server`, `binlog`, `access` or `table`. */
  group: 'server' | 'binlog' | 'access' | 'table';
  status: CheckStatus;
  detail: string;
  /** Change to make at the source, absent when the check passed. */
  fix?: string;
}

/** Watermark kind: `best` is an update-time column, `append-only` detects inserts only, and `none` means a full refresh every run. */
export type WatermarkQuality = 'best' | 'append-only' | 'none';

export interface TableDiagnosis {
  table: string;
  estimatedRows: number;
  key: { kind: 'primary' | 'unique' | 'none'; columns: string[] };
  watermark: { column: string | null; quality: WatermarkQuality };
  /** Columns whose type Duckling cannot store, as `name (type)`. */
  unsupportedColumns: string[];
  /** DATE, DATETIME and TIMESTAMP columns; zero dates in them become NULL in the replica. */
  zeroDateColumns: string[];
  collation: string | null;
  warnings: string[];
}

export interface DiagnosisSummary {
  tables: number;
  keyedTables: number;
  watermarkTables: number;
  columns: number;
  unsupportedColumns: number;
  checks: Record<CheckStatus, number>;
}

export interface Diagnosis {
  databaseId: string;
  /** ISO-8601 time the run started. */
  checkedAt: string;
  source: { host: string; port: number; schema: string; version: string | null; flavour: 'mysql' | 'mariadb' | null };
  /** The worst status of any check. */
  status: CheckStatus;
  checks: DiagnosisCheck[];
  tables: TableDiagnosis[];
  summary: DiagnosisSummary;
}
