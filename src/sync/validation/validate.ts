import { planTable } from '../../catalog/index.js';
import { DucklingError, errorMessage } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { Replica } from '../../replica/index.js';
import type { SourceSnapshot, SourceTable } from '../../source/index.js';
import { discoverTables } from '../discovery.js';
import type { SyncTarget } from '../types.js';
import { checksumTable } from './checksum.js';
import { countRows, listReplicaTables, mainTableExists, readTableSyncInfo, replicaColumns, type TableSyncInfo } from './replica-reads.js';
import { countSourceRows } from './source-reads.js';
import type { SourceTableEntry, TableValidation, ValidationMode, ValidationReport, ValidationSummary } from './types.js';

export interface ValidateOptions {
  mode: ValidationMode;
  /** Validates only this table; otherwise every source table and every replica table. */
  table?: string;
}

/**
 * Compares the replica with its source: exact counts per table and, in checksum mode, chunked
 * checksums of keyed tables. Every source read uses one consistent snapshot. A table that fails
 * reports its error and the others continue; an unreachable source fails the whole call with 502.
 */
export async function validateDatabase(target: SyncTarget, options: ValidateOptions, logger: Logger): Promise<ValidationReport> {
  const sourceTables = new Map((await discoverTables(target)).map((table) => [table.name, table]));
  const replicaState = await target.replica.withReader(async (reader) => ({
    tables: await listReplicaTables(reader),
    syncInfo: await readTableSyncInfo(reader),
  }));
  const names = tablesToValidate(target, options.table, sourceTables, replicaState.tables);

  const snapshot = await target.source.openSnapshot();
  const results: TableValidation[] = [];
  try {
    for (const name of names) {
      const info = replicaState.syncInfo.get(name) ?? { lastSyncAt: null, syncType: null };
      results.push(await validateTable(snapshot, target.replica, name, sourceTables.get(name), options.mode, info));
    }
  } finally {
    await snapshot.release();
  }

  const report = { validationResults: results, summary: summarise(results) };
  logger.info({ databaseId: target.databaseId, mode: options.mode, ...report.summary }, 'validation finished');
  return report;
}

function tablesToValidate(target: SyncTarget, table: string | undefined, source: Map<string, SourceTable>, replica: string[]): string[] {
  if (table === undefined) return [...new Set([...source.keys(), ...replica])].sort();
  if (source.has(table) || replica.includes(table)) return [table];
  throw new DucklingError('DUCKLING_TABLE_NOT_FOUND', {
    table,
    db: target.databaseId,
    hint: ' in the source or the replica; list the source tables with GET /api/validation/mysql-tables',
  });
}

async function validateTable(
  snapshot: SourceSnapshot,
  replica: Replica,
  name: string,
  sourceTable: SourceTable | undefined,
  mode: ValidationMode,
  info: TableSyncInfo,
): Promise<TableValidation> {
  const result: TableValidation = { table: name, mysqlCount: null, duckdbCount: null, match: false, difference: null, ...info };
  if (mode === 'checksum') Object.assign(result, { checksumMatch: null, mismatchedRanges: [], mysqlChecksum: null, duckdbChecksum: null });
  const errors: string[] = [];

  await countBothSides(snapshot, replica, name, sourceTable, result, errors);
  if (result.mysqlCount !== null && result.duckdbCount !== null) {
    result.difference = result.mysqlCount - result.duckdbCount;
    result.match = result.difference === 0;
  }

  if (mode === 'checksum' && errors.length === 0 && sourceTable) {
    await addChecksum(snapshot, replica, sourceTable, result, errors);
  }
  if (errors.length > 0) {
    result.error = errors.join('; ');
    result.match = false;
  }
  return result;
}

async function countBothSides(
  snapshot: SourceSnapshot,
  replica: Replica,
  name: string,
  sourceTable: SourceTable | undefined,
  result: TableValidation,
  errors: string[],
): Promise<void> {
  if (!sourceTable) {
    errors.push('table not found at the source (dropped or excluded there); the next full or incremental run drops it from the replica');
  } else {
    try {
      result.mysqlCount = await countSourceRows(snapshot, name);
    } catch (error) {
      errors.push(`counting source rows failed: ${errorMessage(error)}`);
    }
  }

  try {
    const count = await replica.withReader(async (reader) => ((await mainTableExists(reader, name)) ? countRows(reader, name) : null));
    if (count === null) errors.push(`table missing in the replica; ${syncAdvice(name)}`);
    result.duckdbCount = count;
  } catch (error) {
    errors.push(`counting replica rows failed: ${errorMessage(error)}`);
  }
}

async function addChecksum(
  snapshot: SourceSnapshot,
  replica: Replica,
  sourceTable: SourceTable,
  result: TableValidation,
  errors: string[],
): Promise<void> {
  if (sourceTable.key.kind === 'none') {
    result.checksumSkipped = 'not applicable: the table has no primary key or NOT NULL unique key, so its rows have no defined order';
    return;
  }
  try {
    const plan = planTable(sourceTable);
    // The checksum reads every source column from the replica, so a column added at the source and
    // not yet synced would fail it with a database error instead of a mismatch.
    const replicaNames = await replica.withReader((reader) => replicaColumns(reader, sourceTable.name));
    const mismatch = describeColumnMismatch(plan.columns.map((column) => column.name), replicaNames);
    if (mismatch !== null) {
      result.checksumMatch = false;
      result.match = false;
      errors.push(`schema mismatch: ${mismatch}, so the checksum was skipped; ${syncAdvice(sourceTable.name)}`);
      return;
    }
    const checksum = await replica.withReader((reader) => checksumTable(snapshot, reader, sourceTable, plan));
    result.checksumMatch = checksum.mismatchedRanges.length === 0;
    result.mismatchedRanges = checksum.mismatchedRanges;
    result.mysqlChecksum = checksum.mysqlChecksum;
    result.duckdbChecksum = checksum.duckdbChecksum;
    result.match = result.match && result.checksumMatch;
  } catch (error) {
    errors.push(`checksum failed: ${errorMessage(error)}`);
  }
}

/** Names the columns only one side has, or returns null when both have the same columns. */
function describeColumnMismatch(sourceNames: readonly string[], replicaNames: readonly string[]): string | null {
  const missing = sourceNames.filter((name) => !replicaNames.includes(name));
  const extra = replicaNames.filter((name) => !sourceNames.includes(name));
  if (missing.length === 0 && extra.length === 0) return null;
  const parts: string[] = [];
  if (missing.length > 0) parts.push(`source columns missing in the replica: ${missing.join(', ')}`);
  if (extra.length > 0) parts.push(`replica columns no longer at the source: ${extra.join(', ')}`);
  return parts.join('; ');
}

/** Returns the advice to bring one table up to date, for both HTTP and CLI users. */
function syncAdvice(table: string): string {
  return `sync the table with "duckling sync --table ${table}" or POST /api/sync/table/${table}`;
}

function summarise(results: readonly TableValidation[]): ValidationSummary {
  const errorTables = results.filter((result) => result.error !== undefined).length;
  const matchingTables = results.filter((result) => result.match).length;
  return {
    totalTables: results.length,
    matchingTables,
    mismatchedTables: results.length - matchingTables - errorTables,
    errorTables,
    totalMysqlRecords: results.reduce((sum, result) => sum + (result.mysqlCount ?? 0), 0),
    totalDuckdbRecords: results.reduce((sum, result) => sum + (result.duckdbCount ?? 0), 0),
  };
}

/** Lists every base table of the source schema and whether Duckling excludes it (`GET /api/validation/mysql-tables`). */
export async function listSourceTables(target: SyncTarget): Promise<SourceTableEntry[]> {
  const all = await discoverTables({ ...target, excludedTables: [] });
  const excluded = new Set(target.excludedTables);
  return all.map((table) => ({ name: table.name, excluded: excluded.has(table.name) }));
}
