import { Command } from 'commander';
import type { BackupCreatedResponse, BackupListEntry, BackupS3Response, DucklingHttpClient } from '../../client/index.js';
import { createContext, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { withTransferProgress } from '../transfer-progress.js';
import { formatBytes, formatCount, formatDuration, type Output } from '../output.js';

interface BackupOptions {
  all?: boolean;
  s3?: boolean;
}

/** `duckling backup` takes a local backup of `--db` (or of every database with `--all`); `duckling backup list` lists them. */
export function backupCommand(): Command {
  const command = new Command('backup')
    .description('Take a local backup of the database now: a consistent copy of its replica and a manifest in BACKUP_PATH')
    .option('--all', 'back up every configured database in turn instead of --db')
    .option('--s3', "upload a fresh consistent image to the database's S3 bucket instead of writing a local backup")
    .action(async function (this: Command) {
      const context = createContext(this);
      const options = this.opts<BackupOptions>();
      const client = context.client();
      const ids = options.all ? await databaseIds(client) : [context.options.db];

      const failures: string[] = [];
      for (const id of ids) {
        if (!context.output.json) context.output.note(`Backing up database "${id}"${options.s3 ? ' to S3' : ''}…`);
        try {
          if (options.s3) {
            const scoped = client.forDatabase(id);
            const result = await withTransferProgress(context.output, scoped, scoped.backupS3());
            if (context.output.json) context.output.jsonLine({ databaseId: id, key: result.key, manifestKey: result.manifestKey, size: result.size, durationMs: result.durationMs });
            else printS3Backup(context.output, result);
            continue;
          }
          const result = await client.forDatabase(id).backupCreate();
          if (context.output.json) context.output.jsonLine({ databaseId: id, ...result.backup });
          else printBackup(context.output, result);
        } catch (error) {
          if (!options.all) throw error;
          failures.push(id);
          context.output.error(`database "${id}": ${(error as Error).message}`);
        }
      }
      if (failures.length > 0) throw new CliError(`backup failed for ${failures.length} of ${ids.length} databases: ${failures.join(', ')}`);
    });

  command.addCommand(
    new Command('list')
      .description('List the local and S3 backups of the database, newest first, with their status')
      .action(async function (this: Command) {
        const context = createContext(this);
        const { backups } = await context.client().backupList();
        if (context.output.json) context.output.jsonLine(backups);
        else printList(context, backups);
      }),
  );
  return command;
}

async function databaseIds(client: DucklingHttpClient): Promise<string[]> {
  const status = await client.status();
  return status.databases.map((database) => database.databaseId);
}

function printBackup(output: Output, result: BackupCreatedResponse): void {
  const { backup } = result;
  const rows = backup.manifest.tables.reduce((sum, table) => sum + table.rows, 0);
  output.line(`${output.green('backup written')} ${backup.name}`);
  output.line(`  size      ${formatBytes(backup.size)} in ${formatDuration(backup.durationMs)}`);
  output.line(`  tables    ${backup.manifest.tables.length} (${formatCount(rows)} rows)`);
  output.line(`  sha256    ${backup.manifest.plaintext.sha256}`);
  if (backup.s3Key) output.line(`  s3 key    ${backup.s3Key}`);
}

function printS3Backup(output: Output, result: BackupS3Response): void {
  output.line(`${output.green('backup uploaded')} ${result.key}`);
  output.line(`  size      ${formatBytes(result.size)} in ${formatDuration(result.durationMs)}`);
  output.line(`  manifest  ${result.manifestKey}`);
}

function printList(context: CliContext, backups: BackupListEntry[]): void {
  const { output } = context;
  if (backups.length === 0) {
    output.line(`No backups of database "${context.options.db}" yet; take one with "duckling backup"`);
    return;
  }
  output.table(
    ['Name', 'Location', 'Status', 'Size', 'Tables', 'Rows', 'Encryption'],
    backups.map((entry) => [
      entry.name,
      entry.location,
      statusText(output, entry.status),
      formatBytes(entry.size),
      entry.manifest ? String(entry.manifest.tables.length) : '-',
      entry.manifest ? formatCount(entry.manifest.tables.reduce((sum, table) => sum + table.rows, 0)) : '-',
      entry.encryption,
    ]),
    ['left', 'left', 'left', 'right', 'right', 'right', 'left'],
  );
}

function statusText(output: Output, status: BackupListEntry['status']): string {
  if (status === 'complete') return output.green(status);
  return status === 'invalid' ? output.red(status) : output.yellow(status);
}
