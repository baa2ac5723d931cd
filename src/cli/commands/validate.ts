import { Command } from 'commander';
import type { DucklingHttpClient, MismatchedRangeBody, ReconcileResponse, TableValidationBody, ValidationResponse } from '../../client/index.js';
import { forEachDatabase } from '../all-databases.js';
import { createContext } from '../context.js';
import { CliError, ExitCode, UsageError } from '../errors.js';
import { formatCount, type Output } from '../output.js';

interface ValidateOptions {
  checksum?: boolean;
  table?: string;
  reconcile?: boolean;
  all?: boolean;
}

/** `duckling validate`: compares replica and source per table; exit 3 on a mismatch, 1 when a table could not be compared. */
export function validateCommand(): Command {
  return new Command('validate')
    .description('Compare the replica with its source: exact row counts, and with --checksum chunked checksums; exit 3 on a mismatch')
    .option('--checksum', 'also compare SHA-256 checksums of every row in chunks of 10,000 keys (reads both sides in full)')
    .option('--table <name>', 'validate only this table')
    .option('--reconcile', 'first repair the replica: delete rows gone at the source and copy missing ones (with --checksum, also re-copy rows that differ)')
    .option('--all', 'validate every database in turn instead of --db; exit with the highest code of any database')
    .action(async function (this: Command) {
      const context = createContext(this);
      const options = this.opts<ValidateOptions>();
      if (options.all) {
        if (options.table !== undefined) throw new UsageError('--table names a table of one database; use --db instead of --all');
        await forEachDatabase(context, 'validate', (client) => validateDatabase(context.output, client, options));
        return;
      }
      await validateDatabase(context.output, context.client(), options);
    });
}

/** Validates one database (after reconciling it with `--reconcile`); throws exit 3 on a mismatch, 1 when a table could not be compared. */
async function validateDatabase(output: Output, client: DucklingHttpClient, options: ValidateOptions): Promise<void> {
  if (options.reconcile) {
    const repair = await client.syncReconcile({ table: options.table, content: options.checksum ?? false });
    if (output.json) output.jsonLine(repair);
    else printReconcile(output, repair);
  }
  const report = await client.syncValidate({ mode: options.checksum ? 'checksum' : 'count', table: options.table });

  if (output.json) output.jsonLine(report);
  else printReport(output, report, options.checksum ?? false);

  const { summary } = report;
  if (summary.mismatchedTables > 0) {
    throw new CliError(`${summary.mismatchedTables} of ${summary.totalTables} tables differ from the source; resync them with "duckling sync --table <name>"`, ExitCode.validationMismatch);
  }
  if (summary.errorTables > 0) {
    throw new CliError(`${summary.errorTables} of ${summary.totalTables} tables could not be compared; see the errors above`);
  }
}

function printReport(output: Output, report: ValidationResponse, checksum: boolean): void {
  const headers = ['Table', 'Source rows', 'Replica rows', 'Difference', ...(checksum ? ['Checksum'] : []), 'Result'];
  output.table(
    headers,
    report.validationResults.map((result) => [
      result.table,
      formatCount(result.mysqlCount),
      formatCount(result.duckdbCount),
      result.difference === null ? '-' : String(result.difference),
      ...(checksum ? [checksumText(result)] : []),
      resultText(output, result),
    ]),
    ['left', 'right', 'right', 'right', ...(checksum ? ['left' as const] : []), 'left'],
  );

  for (const result of report.validationResults) {
    for (const range of result.mismatchedRanges ?? []) output.line(`${result.table}: rows differ in keys ${rangeText(range)}`);
    if (result.error) output.line(`${result.table}: ${result.error}`);
  }
  const { summary } = report;
  output.line('');
  output.line(`${summary.matchingTables} of ${summary.totalTables} tables match, ${summary.mismatchedTables} differ, ${summary.errorTables} failed`);
}

function checksumText(result: TableValidationBody): string {
  if (result.checksumMatch === true) return 'equal';
  if (result.checksumMatch === false) {
    const chunks = result.mismatchedRanges?.length ?? 0;
    return chunks === 1 ? '1 chunk differs' : `${chunks} chunks differ`;
  }
  return result.checksumSkipped ? 'n/a (no key)' : '-';
}

function resultText(output: Output, result: TableValidationBody): string {
  if (result.error) return output.red('error');
  return result.match ? output.green('match') : output.red('mismatch');
}

function rangeText(range: MismatchedRangeBody): string {
  return `${JSON.stringify(range.fromKey)} to ${JSON.stringify(range.toKey)} (source ${range.mysqlRows} rows, replica ${range.duckdbRows})`;
}

function printReconcile(output: Output, report: ReconcileResponse): void {
  output.table(
    ['Table', 'Chunks', 'Repaired chunks', 'Rows deleted', 'Rows copied', 'Result'],
    report.tables.map((result) => [
      result.table,
      String(result.chunks),
      String(result.mismatchedChunks),
      String(result.rowsDeleted),
      String(result.rowsRepaired),
      result.error ? output.red('not reconciled') : output.green('done'),
    ]),
    ['left', 'right', 'right', 'right', 'right', 'left'],
  );
  for (const result of report.tables) if (result.error) output.line(`${result.table}: ${result.error}`);
  output.line('');
}
