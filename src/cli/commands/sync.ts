import { Command } from 'commander';
import type { DucklingHttpClient, SyncEventMessage, SyncProgress, TableProgress, TableSyncResult } from '../../client/index.js';
import { forEachDatabase } from '../all-databases.js';
import { createContext, type CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { formatCount, formatDuration, type Output } from '../output.js';
import { BarRenderer, JsonLinesRenderer, type ProgressRenderer } from '../sync-progress.js';

interface SyncOptions {
  full?: boolean;
  incremental?: boolean;
  table?: string;
  wait: boolean;
  all?: boolean;
  allowMassDrop?: boolean;
}

/** One table's line of the summary printed after a run. */
export interface SummaryRow {
  table: string;
  status: string;
  recordsProcessed: number;
  durationMs: number;
  error: string | null;
  /** Schema change the run applied to the table (column added, table dropped, …), null when none. */
  schemaChange: string | null;
}

/** Page size of the `GET /api/sync-logs` request behind the summary (the server's maximum). */
const MAX_LOG_PAGE = 1000;

/** `duckling sync`: starts a full or incremental run (or one table), follows its progress and prints a summary. */
export function syncCommand(): Command {
  return new Command('sync')
    .description('Run a full or incremental sync of the database or of one table, show progress and a summary; exit 1 if a table failed')
    .addHelpText(
      'after',
      '\nProgress goes to standard error: bars on a terminal, else one JSON line per update. The summary table goes to\n' +
        'standard output. With --json, progress lines and a final summary line all go to standard output.',
    )
    .option('--full', 'full load of every table (the default)')
    .option('--incremental', 'merge the rows changed since each table\'s watermark; tables without one are loaded fully')
    .option('--table <name>', 'sync only this table, with a full load unless --incremental is given')
    .option('--no-wait', 'start the run, print its id and exit without following it')
    .option('--all', 'sync every database in turn instead of --db; exit with the highest code of any database')
    .option('--allow-mass-drop', 'let the run drop more than half of the replica\'s tables when they are missing from the source or excluded')
    .action(async function (this: Command) {
      const context = createContext(this);
      const options = this.opts<SyncOptions>();
      if (options.full && options.incremental) throw new UsageError('--full and --incremental exclude each other; give one of them');
      const run: RunRequest = { type: options.incremental ? 'incremental' : 'full', wait: options.wait, allowMassDrop: options.allowMassDrop ?? false };

      if (options.all) {
        if (options.table !== undefined) throw new UsageError('--table names a table of one database; use --db instead of --all');
        await forEachDatabase(context, 'sync', (client) => syncRun(context, client, run));
        return;
      }

      const client = context.client();

      if (options.table !== undefined) {
        if (!options.wait) throw new UsageError('--no-wait applies to whole-database runs only: a single-table sync returns when the table is done');
        if (options.allowMassDrop) throw new UsageError('--allow-mass-drop applies to whole-database runs only: a single-table sync drops no table');
        await syncOneTable(context, client, options.table, options.incremental ? 'incremental' : 'full');
        return;
      }
      await syncRun(context, client, run);
    });
}

/** A whole-database run as the command line requests it. */
interface RunRequest {
  type: 'full' | 'incremental';
  wait: boolean;
  allowMassDrop: boolean;
}

async function syncRun(context: CliContext, client: DucklingHttpClient, request: RunRequest): Promise<void> {
  const output = context.output;
  // The server returns 202 only after the run's checks, so a run that cannot start fails here with its code and status.
  const options = { async: true as const, allowMassDrop: request.allowMassDrop };
  const { runId } = request.type === 'incremental' ? await client.syncIncremental(options) : await client.syncFull(options);
  if (!request.wait) {
    if (output.json) output.jsonLine({ runId });
    else output.line(runId);
    return;
  }

  const renderer = createRenderer(output);
  let rows: SummaryRow[];
  try {
    const lastProgress = await followRun(client, runId, renderer);
    rows = await runSummary(client, runId);
    if (lastProgress) renderer.finish(finalProgress(lastProgress, rows));
  } finally {
    renderer.stop();
  }

  // A run that failed as a whole (source unreachable, unsafe drop) logs one row without a table.
  const runFailure = rows.find((row) => row.table === RUN_LEVEL_ROW);
  if (runFailure) throw new CliError(`Sync run ${runId} failed before loading any table: ${runFailure.error ?? 'no reason recorded'}`);

  printSummary(output, runId, rows);
  failIfAnyFailed(rows);
}

/** Table name of the summary row that stands for the whole run. */
const RUN_LEVEL_ROW = '(run)';

/**
 * Follows `/api/sync/events` until the run is no longer in progress, and returns the last progress
 * of the run (null when it ended before the stream opened). The server starts the run before it
 * responds 202, so an idle first message means the run already ended.
 */
async function followRun(client: DucklingHttpClient, runId: string, renderer: ProgressRenderer): Promise<SyncProgress | null> {
  const controller = new AbortController();
  let finished = false;
  let lastProgress: SyncProgress | null = null;

  await client.followSyncEvents((message) => {
    const progress = progressOf(message.data);
    if (message.event !== 'message' || !progress) return;
    if (progress.inProgress && progress.runId === runId) {
      renderer.update(progress);
      lastProgress = progress;
      return;
    }
    finished = true;
    controller.abort();
  }, controller.signal);

  if (!finished) {
    throw new CliError(`The server closed the progress stream before run ${runId} finished; check it with "duckling status"`);
  }
  return lastProgress;
}

/**
 * Completes the last progress with the results from the sync log, because the server's progress
 * turns idle when a run ends and its last in-progress message may predate the final tables.
 */
function finalProgress(last: SyncProgress, rows: SummaryRow[]): SyncProgress {
  const results = new Map(rows.map((row) => [row.table, row]));
  const tables = last.tables.map((table) => {
    const result = results.get(table.table);
    if (!result) return table;
    return { ...table, phase: phaseOf(result.status), rowsDone: result.recordsProcessed || table.rowsDone };
  });
  const completed = tables.filter((table) => table.phase === 'done' || table.phase === 'error' || table.phase === 'skipped').length;
  return { ...last, tables, tablesCompleted: completed, recordsProcessed: tables.reduce((sum, table) => sum + table.rowsDone, 0) };
}

/** Builds the summary from the run's `sync_log` rows (one per table, or one for a run that failed as a whole). */
async function runSummary(client: DucklingHttpClient, runId: string): Promise<SummaryRow[]> {
  const page = await client.syncLogs({ limit: MAX_LOG_PAGE, offset: 0 });
  return page.logs
    .filter((log) => log.run_id === runId)
    .map((log) => ({
      table: log.table_name ?? RUN_LEVEL_ROW,
      status: log.status,
      recordsProcessed: Number(log.records_processed),
      durationMs: Number(log.duration_ms),
      error: log.error_message,
      schemaChange: log.schema_change ?? null,
    }))
    .sort((left, right) => left.table.localeCompare(right.table));
}

async function syncOneTable(context: CliContext, client: DucklingHttpClient, table: string, mode: 'full' | 'incremental'): Promise<void> {
  const output = context.output;
  const renderer = createRenderer(output);
  const controller = new AbortController();

  // Progress is shown while the request runs. A failed event stream is ignored because it only loses the display.
  let lastProgress: SyncProgress | null = null;
  const progressDone = client
    .followSyncEvents((message) => {
      const progress = progressOf(message.data);
      if (!progress?.inProgress) return;
      lastProgress = { ...progress, tables: progress.tables.filter((entry) => entry.table === table) };
      renderer.update(lastProgress);
    }, controller.signal)
    .catch(() => undefined);

  let rows: SummaryRow[];
  try {
    const result: TableSyncResult = await client.syncTable(table, mode);
    rows = [
      {
        table: result.table,
        status: result.status,
        recordsProcessed: result.recordsProcessed,
        durationMs: result.durationMs,
        error: result.error ?? null,
        schemaChange: result.schemaChange ?? null,
      },
    ];
    controller.abort();
    await progressDone;
    if (lastProgress) renderer.finish(finalProgress(lastProgress, rows));
  } finally {
    controller.abort();
    await progressDone;
    renderer.stop();
  }

  printSummary(output, null, rows);
  failIfAnyFailed(rows);
}

function phaseOf(status: string): TableProgress['phase'] {
  if (status === 'success') return 'done';
  if (status === 'error') return 'error';
  return 'skipped';
}

function createRenderer(output: Output): ProgressRenderer {
  if (output.json) return new JsonLinesRenderer(output.stdout);
  if (output.interactive) return new BarRenderer(output.stderr, output.color);
  return new JsonLinesRenderer(output.stderr);
}

function progressOf(data: unknown): SyncProgress | null {
  if (!data || typeof data !== 'object') return null;
  const progress = (data as Partial<SyncEventMessage>).progress;
  return progress && typeof progress === 'object' ? progress : null;
}

export function printSummary(output: Output, runId: string | null, rows: SummaryRow[]): void {
  const failed = rows.filter((row) => row.status === 'error').length;
  const skipped = rows.filter((row) => row.status === 'skipped').length;
  const records = rows.reduce((sum, row) => sum + row.recordsProcessed, 0);

  if (output.json) {
    output.jsonLine({ type: 'summary', runId, failedTables: failed, skippedTables: skipped, recordsProcessed: records, tables: rows });
    return;
  }

  // The schema change column appears only when a table of the run changed its schema.
  const showSchemaChange = rows.some((row) => row.schemaChange !== null);
  output.table(
    ['Table', 'Status', 'Rows', 'Duration', ...(showSchemaChange ? ['Schema change'] : []), 'Error'],
    rows.map((row) => [
      row.table,
      colorStatus(output, row.status),
      formatCount(row.recordsProcessed),
      formatDuration(row.durationMs),
      ...(showSchemaChange ? [row.schemaChange ?? ''] : []),
      row.error ?? '',
    ]),
    ['left', 'left', 'right', 'right', ...(showSchemaChange ? ['left' as const] : []), 'left'],
  );
  const prefix = runId ? `Run ${runId}: ` : '';
  output.line(`${prefix}${rows.length - failed - skipped} succeeded, ${failed} failed, ${skipped} skipped, ${formatCount(records)} rows`);
}

function colorStatus(output: Output, status: string): string {
  if (status === 'error') return output.red(status);
  if (status === 'success') return output.green(status);
  return output.yellow(status);
}

function failIfAnyFailed(rows: SummaryRow[]): void {
  const failed = rows.filter((row) => row.status === 'error');
  if (failed.length === 0) return;
  const names = failed.map((row) => row.table).join(', ');
  throw new CliError(`${failed.length} of ${rows.length} tables failed: ${names}; see the errors above and the server log`);
}
