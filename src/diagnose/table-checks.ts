import { planTable, type SourceColumn, type TablePlan } from '../catalog/index.js';
import { quoteMysqlIdentifier, type SourceTable } from '../source/index.js';
import { chooseTableWatermark, WatermarkSettingError } from '../sync/incremental-choice.js';
import type { DatabaseSyncOptions } from '../sync/types.js';
import { isPrivilegeError, serverMessage, type Prober } from './probes.js';
import type { DiagnosisCheck, TableDiagnosis, WatermarkQuality } from './types.js';

const DATE_TYPES = new Set(['date', 'datetime', 'timestamp']);
/** A configured watermark with one of these names is an insert time, so it detects inserts only. */
const INSERT_TIME_COLUMN = /^(created|inserted)(_at|_on|at|on)?$/i;

export interface TableContext {
  source: Prober;
  schema: string;
  watermarkCandidates: readonly string[];
  /** Lookback in effect for the database, in seconds. */
  lookbackSeconds: number;
  syncOptions: DatabaseSyncOptions | undefined;
  sqlModeAllowsZeroDates: boolean;
}

/** Index columns in first position per table, and each table's collation. */
export interface SchemaFacts {
  leadingIndexColumns: ReadonlyMap<string, ReadonlySet<string>>;
  collations: ReadonlyMap<string, string | null>;
}

export async function readSchemaFacts(source: Prober, schema: string): Promise<SchemaFacts> {
  const indexRows = await source.probe(
    'SELECT TABLE_NAME AS t, COLUMN_NAME AS c FROM information_schema.STATISTICS WHERE TABLE_SCHEMA = ? AND SEQ_IN_INDEX = 1',
    [schema],
  );
  const leadingIndexColumns = new Map<string, Set<string>>();
  for (const row of indexRows) {
    const table = String(row.t);
    const set = leadingIndexColumns.get(table) ?? new Set<string>();
    set.add(String(row.c));
    leadingIndexColumns.set(table, set);
  }
  const tableRows = await source.probe('SELECT TABLE_NAME AS t, TABLE_COLLATION AS c FROM information_schema.TABLES WHERE TABLE_SCHEMA = ?', [schema]);
  const collations = new Map(tableRows.map((row) => [String(row.t), row.c === null ? null : String(row.c)]));
  return { leadingIndexColumns, collations };
}

/** Diagnoses one table and returns it with its check (the worst of its warnings). */
export function diagnoseTable(table: SourceTable, context: TableContext, facts: SchemaFacts): { table: TableDiagnosis; check: DiagnosisCheck } {
  const warnings: string[] = [];
  const unsupported = table.columns.filter((column) => !isSupported(table, column));
  const unsupportedNames = new Set(unsupported.map((column) => column.name));
  const plan = planTable({
    name: table.name,
    columns: table.columns.filter((column) => !unsupportedNames.has(column.name)),
    key: table.key.columns.some((name) => unsupportedNames.has(name)) ? { columns: [], kind: 'none' } : table.key,
  });

  if (table.key.kind === 'none') warnings.push('no primary key or NOT NULL unique key: every sync reloads the whole table, and CDC skips it');
  if (unsupported.length > 0) warnings.push(`unsupported columns ${unsupported.map((c) => `${c.name} (${c.columnType})`).join(', ')}: the table fails to sync; exclude it or change the types`);

  const watermark = watermarkOf(table, plan, context, warnings);
  if (watermark.column !== null && !facts.leadingIndexColumns.get(table.name)?.has(watermark.column)) {
    warnings.push(`no index starts with watermark column ${watermark.column}, so each incremental run scans the table; add an index on (${watermark.column})`);
  }
  const zeroDateColumns = table.columns.filter((column) => DATE_TYPES.has(column.dataType)).map((column) => column.name);
  if (zeroDateColumns.length > 0 && context.sqlModeAllowsZeroDates) {
    const noun = zeroDateColumns.length === 1 ? 'column' : 'columns';
    warnings.push(`${noun} ${zeroDateColumns.join(', ')} can hold zero dates under the server's sql_mode, and the replica stores them as NULL`);
  }

  const diagnosis: TableDiagnosis = {
    table: table.name,
    estimatedRows: table.estimatedRows,
    key: { kind: table.key.kind, columns: [...table.key.columns] },
    watermark,
    unsupportedColumns: unsupported.map((column) => `${column.name} (${column.columnType})`),
    zeroDateColumns,
    collation: facts.collations.get(table.name) ?? null,
    warnings,
  };
  // A column Duckling cannot store makes the whole table fail to sync; the rest only degrades it.
  let status: DiagnosisCheck['status'] = 'pass';
  if (unsupported.length > 0) status = 'fail';
  else if (warnings.length > 0) status = 'warn';
  const detail = [`about ${table.estimatedRows} rows, key ${table.key.kind}`, `watermark ${watermark.column ?? 'none'} (${watermark.quality})`, ...warnings].join('; ');
  const check: DiagnosisCheck = { id: `table:${table.name}`, name: `Table ${table.name}`, group: 'table', status, detail };
  return { table: diagnosis, check };
}

/** Probes SELECT on every table with a statement that reads no rows, and lists the tables that reject it. */
export async function probeSelect(context: TableContext, tables: readonly SourceTable[]): Promise<DiagnosisCheck> {
  const rejected: string[] = [];
  let lastMessage = '';
  for (const table of tables) {
    try {
      await context.source.probe(`SELECT * FROM ${quoteMysqlIdentifier(table.name)} LIMIT 0`);
    } catch (error) {
      if (!isPrivilegeError(error)) throw error;
      rejected.push(table.name);
      lastMessage = serverMessage(error);
    }
  }
  const base = { id: 'privileges', name: 'Read privileges', group: 'access' } as const;
  if (rejected.length === 0) return { ...base, status: 'pass', detail: `SELECT works on all ${tables.length} tables` };
  return {
    ...base, status: 'fail',
    detail: `insufficient privileges: SELECT rejected on ${rejected.join(', ')} (${lastMessage})`,
    fix: `GRANT SELECT ON ${quoteMysqlIdentifier(context.schema)}.* TO the Duckling user, or exclude those tables`,
  };
}

function isSupported(table: SourceTable, column: SourceColumn): boolean {
  try {
    planTable({ name: table.name, columns: [column], key: { columns: [], kind: 'none' } });
    return true;
  } catch {
    return false;
  }
}

function watermarkOf(table: SourceTable, plan: TablePlan, context: TableContext, warnings: string[]): TableDiagnosis['watermark'] {
  try {
    const choice = chooseTableWatermark(table, plan, context.watermarkCandidates, context.syncOptions);
    if (choice.mode === 'none') {
      if (table.key.kind !== 'none') warnings.push(`no watermark column (${context.watermarkCandidates.join(', ')}): every sync reloads the whole table; add an updated_at DATETIME/TIMESTAMP column or name one in sync.watermarkColumns`);
      return { column: null, quality: 'none' };
    }
    const quality: WatermarkQuality = choice.mode === 'id' || INSERT_TIME_COLUMN.test(choice.column) ? 'append-only' : 'best';
    if (quality === 'append-only') warnings.push(`watermark ${choice.column} sees inserts only; updates and deletes need a full sync or reconcile`);
    if (choice.mode === 'timestamp') warnSecondPrecision(table, choice.column, context.lookbackSeconds, warnings);
    return { column: choice.column, quality };
  } catch (error) {
    if (!(error instanceof WatermarkSettingError)) throw error;
    warnings.push(error.message);
    return { column: null, quality: 'none' };
  }
}

/**
 * Warns about a watermark column without fractional seconds while the lookback is 0. The next run
 * reads rows above the stored (watermark, key) pair, so a row written after a run with the same
 * watermark second and a lower key is never read. A lookback of 1 second or more re-reads that second.
 */
function warnSecondPrecision(table: SourceTable, column: string, lookbackSeconds: number, warnings: string[]): void {
  if (lookbackSeconds > 0) return;
  const precision = table.columns.find((candidate) => candidate.name === column)?.datetimePrecision ?? 0;
  if (precision > 0) return;
  warnings.push(
    `watermark ${column} has whole-second precision and the lookback is 0, so a row written later in the same second as the last row read, ` +
      'with a lower key, is missed; set sync.lookbackSeconds or INCREMENTAL_LOOKBACK_SECONDS to 1 or more',
  );
}
