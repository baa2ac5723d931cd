import readline from 'node:readline/promises';
import { Command, Option } from 'commander';
import type { BackupVerifyResponse, DucklingHttpClient } from '../../client/index.js';
import { createContext, type CliContext } from '../context.js';
import { CliError, UsageError } from '../errors.js';
import { withTransferProgress } from '../transfer-progress.js';
import { formatCount, formatDuration, type Output } from '../output.js';

interface RestoreOptions {
  from: 'local' | 's3';
  name?: string;
  key?: string;
  latest?: boolean;
  allowCrossDatabase?: boolean;
  yes?: boolean;
}

/** The backup to restore, named the way its location names it. */
type Choice = { from: 'local'; name: string } | { from: 's3'; key: string };

/**
 * `duckling restore`: verifies a backup (printing each stage), then replaces the database's replica
 * with it. Asks for the database id as confirmation unless `--yes`.
 */
export function restoreCommand(): Command {
  return new Command('restore')
    .description("Replace the database's replica with a verified backup; the live replica stays untouched unless every check passes")
    .addOption(new Option('--from <location>', 'where the backup is').choices(['local', 's3']).default('local'))
    .option('--name <name>', 'local backup name, as "duckling backup list" shows it')
    .option('--key <key>', 'S3 object key of the backup')
    .option('--latest', 'restore the newest complete backup at --from')
    .option('--allow-cross-database', "accept a backup of another database or source")
    .option('--yes', 'do not ask for the database id as confirmation')
    .action(async function (this: Command) {
      const context = createContext(this);
      const options = this.opts<RestoreOptions>();
      const client = context.client();
      const choice = await chooseBackup(client, options);
      const label = choice.from === 'local' ? choice.name : choice.key;
      const allowCrossDatabase = options.allowCrossDatabase ?? false;

      if (!options.yes) await confirm(context, label);

      const { output } = context;
      if (!output.json) output.note(`Verifying ${label}…`);
      const verifying = client.backupVerify(
        choice.from === 'local' ? { location: 'local', name: choice.name, allowCrossDatabase } : { location: 's3', key: choice.key, allowCrossDatabase },
      );
      const verification = choice.from === 's3' ? await withTransferProgress(output, client, verifying) : await verifying;
      if (output.json) output.jsonLine({ verification });
      else printChecks(output, verification);
      if (!verification.valid) throw new CliError(`backup ${label} failed verification, so nothing was restored; the failed check is listed above`);

      if (!output.json) output.note(`Restoring database "${context.options.db}" from ${label}…`);
      const restoring = client.backupRestore({ ...choice, allowCrossDatabase });
      const result = choice.from === 's3' ? await withTransferProgress(output, client, restoring) : await restoring;
      if (output.json) {
        output.jsonLine(result);
        return;
      }
      const rows = result.tables.reduce((sum, table) => sum + table.rows, 0);
      output.line(`${output.green('restored')} database "${context.options.db}" from ${result.restoredFrom} in ${formatDuration(result.durationMs)}: ${result.tables.length} tables, ${formatCount(rows)} rows`);
    });
}

async function chooseBackup(client: DucklingHttpClient, options: RestoreOptions): Promise<Choice> {
  const given = [options.name !== undefined, options.key !== undefined, options.latest === true].filter(Boolean).length;
  if (given !== 1) throw new UsageError('Name the backup with exactly one of --name (local), --key (s3) or --latest');
  if (options.name !== undefined && options.from !== 'local') throw new UsageError('--name names a local backup; use --key with --from s3');
  if (options.key !== undefined && options.from !== 's3') throw new UsageError('--key names an S3 object; add --from s3, or use --name for a local backup');
  if (options.name !== undefined) return { from: 'local', name: options.name };
  if (options.key !== undefined) return { from: 's3', key: options.key };

  const { backups } = await client.backupList();
  const newest = backups.find((entry) => entry.location === options.from && entry.status === 'complete');
  if (!newest) throw new CliError(`database "${client.db}" has no complete ${options.from} backup; take one with "duckling backup"`);
  return options.from === 'local' ? { from: 'local', name: newest.name } : { from: 's3', key: newest.key };
}

/** Asks for the database id on the terminal; without a terminal, `--yes` is required. */
async function confirm(context: CliContext, label: string): Promise<void> {
  const id = context.options.db;
  if (!process.stdin.isTTY) throw new UsageError('restore replaces the replica and needs confirmation: run it in a terminal or add --yes');
  const prompt = readline.createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(`Restoring replaces the replica of database "${id}" with ${label}. Type the database id to confirm: `);
    if (answer.trim() !== id) throw new CliError(`confirmation "${answer.trim()}" does not match "${id}"; nothing was restored`);
  } finally {
    prompt.close();
  }
}

function printChecks(output: Output, verification: BackupVerifyResponse): void {
  for (const check of verification.checks) {
    const mark = check.ok ? output.green('ok  ') : output.red('FAIL');
    output.line(`${mark} ${check.name.padEnd(12)} ${check.detail}`);
  }
}
