import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { silentLogger } from '../../logging/index.js';
import { DatabaseRegistry, REGISTRY_FILE_NAME, RegistryError } from '../../registry/index.js';
import { createContext, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { findLockedReplica } from './replica-lock.js';

/**
 * `duckling rekey`: rewrites databases.json so every secret is sealed under DUCKLING_SECRETS_KEY,
 * reading values sealed under it or DUCKLING_SECRETS_KEY_PREVIOUS. A running server keeps its own
 * copy of the records and rewrites the whole file at its next change, so the command exits when a
 * replica file is locked by another process.
 * NOTE: a server whose replica files are all closed (for example every database unavailable)
 * holds no lock and is not detected.
 */
export function rekeyCommand(): Command {
  return new Command('rekey')
    .description('Seal every secret in databases.json under DUCKLING_SECRETS_KEY now; stop the server first')
    .action(async function (this: Command) {
      const context = createContext(this);
      const config = loadRekeyConfig(context);
      if (!config.raw.DUCKLING_SECRETS_KEY) {
        throw new CliError('DUCKLING_SECRETS_KEY is empty, so there is nothing to seal with; set it (for example from "duckling gen-key") and run rekey again');
      }

      let registry: DatabaseRegistry;
      try {
        registry = await DatabaseRegistry.load({ config, logger: silentLogger() });
      } catch (error) {
        if (error instanceof RegistryError) throw new CliError(error.message);
        throw error;
      }
      const count = registry.list().length;
      if (count === 0) {
        context.output.line(`No ${REGISTRY_FILE_NAME} with databases in ${config.dataPath}; nothing to seal`);
        return;
      }

      const locked = await findLockedReplica(registry.list().map((record) => registry.replicaPath(record)));
      if (locked !== null) {
        throw new CliError(
          `The replica file ${locked} is locked by another process, probably a running "duckling serve" on ${config.dataPath}, which would overwrite ${REGISTRY_FILE_NAME} at its next change; stop the server and run rekey again`,
        );
      }
      await registry.reseal();
      if (context.output.json) context.output.jsonLine({ file: registry.filePath, databases: count });
      else context.output.line(`${context.output.green('sealed')} the secrets of ${count} database${count === 1 ? '' : 's'} in ${registry.filePath} under DUCKLING_SECRETS_KEY`);
    });
}

function loadRekeyConfig(context: CliContext): Config {
  try {
    return loadConfig(process.env, { envFile: context.envFilePath });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    throw new CliError(`Invalid configuration (environment and ${context.envFilePath}):\n${error.problems.map((problem) => problem.message).join('\n')}`);
  }
}
