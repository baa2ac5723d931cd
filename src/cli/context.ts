import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import dotenv from 'dotenv';
import { DucklingHttpClient } from '../client/index.js';
import { CliError, UsageError } from './errors.js';
import { Output } from './output.js';

export const DEFAULT_URL = 'http://127.0.0.1:3001';
const DATABASE_ID = /^[a-z0-9_]{1,64}$/;

/** Options every command accepts, declared on the root program. */
export interface GlobalOptions {
  envFile: string;
  db: string;
  url?: string;
  apiKeyFile?: string;
  json: boolean;
  color: boolean;
}

/** Per-command state built from the global options: output, the env file's values and, on demand, a client. */
export interface CliContext {
  options: GlobalOptions;
  output: Output;
  /** Absolute path of the env file. */
  envFilePath: string;
  /** Variables read from the env file; empty when the default `.env` does not exist. */
  envFileValues: Record<string, string>;
  /** True when the user named the env file with `--env-file`. */
  envFileExplicit: boolean;
  /** True when the user gave `--db`, which `--all` excludes. */
  dbExplicit: boolean;
  /** Builds the HTTP client from `--url`, `DUCKLING_URL` and the API key sources. */
  client(): DucklingHttpClient;
  /** True when an API key was found, so the message of a 401 can tell whether one was sent at all. */
  hasApiKey(): boolean;
}

/** Reads the global options of the command being run (options may sit before or after the command name). */
export function createContext(command: Command): CliContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  const root = rootOf(command);
  const envFileExplicit = root.getOptionValueSource('envFile') === 'cli';
  const envFilePath = path.resolve(options.envFile);
  const output = new Output({ json: Boolean(options.json), color: options.color !== false });

  if (!DATABASE_ID.test(options.db)) {
    throw new UsageError(
      `Invalid database id ${JSON.stringify(options.db)} for --db: ids are 1 to 64 lowercase letters, digits or underscores`,
    );
  }

  const envFileValues = readEnvFile(envFilePath, envFileExplicit);
  let apiKey: string | null | undefined;
  const resolveApiKey = () => {
    apiKey ??= readApiKey(options.apiKeyFile, envFileValues);
    return apiKey;
  };

  return {
    options,
    output,
    envFilePath,
    envFileValues,
    envFileExplicit,
    dbExplicit: root.getOptionValueSource('db') === 'cli',
    client() {
      const url = options.url ?? nonEmpty(process.env.DUCKLING_URL) ?? nonEmpty(envFileValues.DUCKLING_URL) ?? DEFAULT_URL;
      try {
        return new DucklingHttpClient({ url, apiKey: resolveApiKey(), db: options.db });
      } catch (error) {
        if (error instanceof TypeError) throw new UsageError(error.message);
        throw error;
      }
    },
    hasApiKey() {
      return resolveApiKey() !== null;
    },
  };
}

function rootOf(command: Command): Command {
  let current = command;
  while (current.parent) current = current.parent;
  return current;
}

function readEnvFile(filePath: string, explicit: boolean): Record<string, string> {
  if (!existsSync(filePath)) {
    if (explicit) {
      throw new UsageError(`Env file ${filePath} given by --env-file does not exist; check the path or run "duckling init" to write one`);
    }
    return {};
  }
  try {
    return dotenv.parse(readFileSync(filePath));
  } catch (error) {
    throw new CliError(`Cannot read env file ${filePath}: ${(error as Error).message}`);
  }
}

/**
 * Finds the API key: the file named by `--api-key-file`, else `DUCKLING_API_KEY` from the
 * environment, else from the env file. A key is never accepted as a command-line argument, because
 * arguments are visible to every user of the machine through the process list.
 */
function readApiKey(apiKeyFile: string | undefined, envFileValues: Record<string, string>): string | null {
  if (apiKeyFile !== undefined) {
    const filePath = path.resolve(apiKeyFile);
    let text: string;
    try {
      text = readFileSync(filePath, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new CliError(`Cannot read the API key file ${filePath} given by --api-key-file (${code}); check the path and its permissions`);
    }
    const key = text.trim();
    if (key === '') throw new CliError(`API key file ${filePath} is empty; write the key (e.g. from "duckling gen-key") into it`);
    return key;
  }
  return nonEmpty(process.env.DUCKLING_API_KEY) ?? nonEmpty(envFileValues.DUCKLING_API_KEY) ?? null;
}

function nonEmpty(value: string | undefined): string | undefined {
  const trimmed = value?.trim();
  return trimmed ? trimmed : undefined;
}
