import { DucklingError, errorMessage } from '../errors/index.js';
import type { SourceDatabase } from '../source/index.js';
import type { DatabaseSyncOptions } from '../sync/types.js';
import { runServerChecks } from './server-checks.js';
import { diagnoseTable, probeSelect, readSchemaFacts, type TableContext } from './table-checks.js';
import type { CheckStatus, Diagnosis, DiagnosisCheck, DiagnosisSummary, TableDiagnosis } from './types.js';

export interface DiagnoseOptions {
  databaseId: string;
  source: Pick<SourceDatabase, 'ping' | 'probe' | 'listTables' | 'endpoint'>;
  /** `EXCLUDED_TABLES` merged with the database's own list. */
  excludedTables: readonly string[];
  /** `WATERMARK_COLUMNS`. */
  watermarkCandidates: readonly string[];
  /** `INCREMENTAL_LOOKBACK_SECONDS`; the database's `sync.lookbackSeconds` in `syncOptions` overrides it. */
  lookbackSeconds: number;
  syncOptions?: DatabaseSyncOptions;
  cdcServerId?: number | null;
  /** Called with each check as it completes, in report order. */
  onCheck?: (check: DiagnosisCheck) => void;
}

const RANK: Record<CheckStatus, number> = { pass: 0, warn: 1, fail: 2 };

/**
 * Diagnoses a source: server, binlog and access checks, then each table. Every check runs
 * statements and judges their results, and no check parses grants. A failed connection is reported as a
 * failed `connection` check and then thrown (DUCKLING_SOURCE_UNAVAILABLE), since nothing else
 * can run.
 */
export async function diagnoseSource(options: DiagnoseOptions): Promise<Diagnosis> {
  const { source } = options;
  const checks: DiagnosisCheck[] = [];
  const emit = (check: DiagnosisCheck): void => {
    checks.push(check);
    options.onCheck?.(check);
  };
  const checkedAt = new Date().toISOString();
  const { host, port, schema } = source.endpoint;

  let ping;
  try {
    ping = await source.ping();
  } catch (error) {
    emit({ id: 'connection', name: 'Connection', group: 'server', status: 'fail', detail: errorMessage(error), fix: 'check host, port, user and password in the connection string, and that the server is running' });
    throw error instanceof DucklingError ? error : new DucklingError('DUCKLING_SOURCE_UNAVAILABLE', { host, port, detail: errorMessage(error) }, { cause: error });
  }
  emit({ id: 'connection', name: 'Connection', group: 'server', status: 'pass', detail: `${host}:${port}/${schema} answered in ${ping.latencyMs} ms` });

  const server = await runServerChecks(
    { source, flavour: ping.flavour, version: ping.version, cdcServerId: options.cdcServerId ?? null },
    emit,
  );

  const tables = await source.listTables(options.excludedTables);
  const context: TableContext = {
    source,
    schema,
    watermarkCandidates: options.watermarkCandidates,
    lookbackSeconds: options.syncOptions?.lookbackSeconds ?? options.lookbackSeconds,
    syncOptions: options.syncOptions,
    sqlModeAllowsZeroDates: server.sqlModeAllowsZeroDates,
  };
  emit(await probeSelect(context, tables));

  const facts = await readSchemaFacts(source, schema);
  const tableReports: TableDiagnosis[] = [];
  for (const table of tables) {
    const result = diagnoseTable(table, context, facts);
    tableReports.push(result.table);
    emit(result.check);
  }

  return {
    databaseId: options.databaseId,
    checkedAt,
    source: { host, port, schema, version: ping.version, flavour: ping.flavour },
    status: worstStatus(checks),
    checks,
    tables: tableReports,
    summary: summarise(checks, tables.map((table) => table.columns.length), tableReports),
  };
}

export function worstStatus(checks: readonly { status: CheckStatus }[]): CheckStatus {
  return checks.reduce<CheckStatus>((worst, check) => (RANK[check.status] > RANK[worst] ? check.status : worst), 'pass');
}

function summarise(checks: readonly DiagnosisCheck[], columnCounts: readonly number[], tables: readonly TableDiagnosis[]): DiagnosisSummary {
  const counts: Record<CheckStatus, number> = { pass: 0, warn: 0, fail: 0 };
  for (const check of checks) counts[check.status] += 1;
  return {
    tables: tables.length,
    keyedTables: tables.filter((table) => table.key.kind !== 'none').length,
    watermarkTables: tables.filter((table) => table.watermark.column !== null).length,
    columns: columnCounts.reduce((sum, count) => sum + count, 0),
    unsupportedColumns: tables.reduce((sum, table) => sum + table.unsupportedColumns.length, 0),
    checks: counts,
  };
}
