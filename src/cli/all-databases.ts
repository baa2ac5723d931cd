import type { DucklingHttpClient } from '../client/index.js';
import { DucklingConnectionError } from '../client/index.js';
import type { CliContext } from './context.js';
import { CliError, ExitCode, UsageError, type ExitCodeValue } from './errors.js';
import { Output } from './output.js';
import { reportError } from './report-error.js';

/** Exit code of one database's part of an `--all` command. */
export interface DatabaseExit {
  databaseId: string;
  exitCode: ExitCodeValue;
}

/** Throws a usage error when `--all` is combined with `--db`, which names one database. */
export function rejectDbWithAll(context: CliContext, command: string): void {
  if (context.dbExplicit) {
    throw new UsageError(`--all and --db exclude each other: "duckling ${command} --all" acts on every database; drop one of them`);
  }
}

/**
 * Runs `action` for every database the server lists in `GET /status`, one after another. A database
 * that fails is reported on standard error and the others still run. Throws, with the highest exit
 * code any database produced, when one failed. An unreachable server stops the loop at once (exit 4).
 */
export async function forEachDatabase(
  context: CliContext,
  command: string,
  action: (client: DucklingHttpClient, databaseId: string) => Promise<void>,
): Promise<void> {
  rejectDbWithAll(context, command);
  const { output } = context;
  const client = context.client();
  const ids = (await client.status()).databases.map((database) => database.databaseId);
  if (ids.length === 0) {
    throw new CliError('The server has no databases; add one with POST /api/databases or set MYSQL_CONNECTION_STRING');
  }

  const errors = new Output({ json: output.json, color: output.color, stdout: process.stderr });
  const exits: DatabaseExit[] = [];
  for (const [index, databaseId] of ids.entries()) {
    if (output.json) output.jsonLine({ type: 'database', databaseId });
    else output.line(`${index > 0 ? '\n' : ''}${output.bold(`Database ${databaseId}`)}`);
    try {
      await action(client.forDatabase(databaseId), databaseId);
      exits.push({ databaseId, exitCode: ExitCode.success });
    } catch (error) {
      if (error instanceof DucklingConnectionError && error.unreachable) throw error;
      exits.push({ databaseId, exitCode: reportError(error, errors) as ExitCodeValue });
    }
  }

  const failed = exits.filter((exit) => exit.exitCode !== ExitCode.success);
  if (output.json) output.jsonLine({ type: 'all', databases: exits });
  if (failed.length === 0) return;
  const highest = Math.max(...failed.map((exit) => exit.exitCode)) as ExitCodeValue;
  const list = failed.map((exit) => `${exit.databaseId} (exit ${exit.exitCode})`).join(', ');
  throw new CliError(`${failed.length} of ${exits.length} databases failed: ${list}; see the messages above`, highest);
}
