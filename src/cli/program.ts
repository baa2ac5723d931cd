import { Command } from 'commander';
import { backupCommand } from './commands/backup.js';
import { doctorCommand } from './commands/doctor.js';
import { genKeyCommand } from './commands/gen-key.js';
import { initCommand } from './commands/init.js';
import { queryCommand } from './commands/query.js';
import { rekeyCommand } from './commands/rekey.js';
import { restoreCommand } from './commands/restore.js';
import { serveCommand } from './commands/serve.js';
import { statusCommand } from './commands/status.js';
import { syncCommand } from './commands/sync.js';
import { validateCommand } from './commands/validate.js';
import { VERSION } from './version.js';

/**
 * Builds the `duckling` program. Errors are thrown instead of exiting, so `runCli` decides every
 * exit code in one place.
 */
export function buildProgram(): Command {
  const program = new Command('duckling')
    .description('Replicate MySQL and MariaDB databases into DuckDB and query them')
    .version(VERSION, '-V, --version', 'print the version')
    // NOTE: Node 20 checks a `--env-file` argument even after the script name and exits 9 with
    // "node: <path>: not found" when the file is missing, before this program runs (nodejs/node#54232).
    .option('--env-file <path>', 'env file with settings and DUCKLING_API_KEY', '.env')
    .option('-d, --db <id>', 'database id for data commands', 'default')
    .option('--url <url>', 'server URL (default: DUCKLING_URL, else http://127.0.0.1:3001)')
    .option('--api-key-file <path>', 'file holding the API key (default: DUCKLING_API_KEY from the environment or the env file)')
    .option('--json', 'print machine-readable JSON')
    .option('--no-color', 'print without ANSI colors')
    .showHelpAfterError('(run "duckling --help" or "duckling <command> --help" for usage)')
    .exitOverride();

  for (const command of [initCommand(), serveCommand(), syncCommand(), queryCommand(), statusCommand(), validateCommand(), backupCommand(), restoreCommand(), doctorCommand(), genKeyCommand(), rekeyCommand()]) {
    command.exitOverride().configureHelp({ showGlobalOptions: true });
    program.addCommand(command.showHelpAfterError(`(run "duckling ${command.name()} --help" for usage)`));
  }
  return program;
}
