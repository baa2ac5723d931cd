import { CommanderError } from 'commander';
import { DucklingClientError, DucklingConnectionError } from '../client/index.js';
import { CliError, ExitCode } from './errors.js';
import type { Output } from './output.js';

/** Prints a failure on standard error and returns its exit code. */
export function reportError(error: unknown, output: Output): number {
  if (error instanceof CommanderError) {
    // Commander already printed the message or the help text.
    const helpOrVersion = ['commander.helpDisplayed', 'commander.version', 'commander.help'].includes(error.code);
    return helpOrVersion && error.exitCode === 0 ? ExitCode.success : ExitCode.usage;
  }

  if (error instanceof DucklingConnectionError) {
    const reason = error.reason;
    if (error.unreachable) {
      print(output, 'DUCKLING_UNREACHABLE', `Cannot reach the Duckling server at ${error.url} (${reason}): start it with "duckling serve", or point --url or DUCKLING_URL at a running server`);
      return ExitCode.unreachable;
    }
    print(output, 'DUCKLING_CONNECTION_FAILED', `The connection to ${error.url} failed (${reason}); check that the server is running and retry`);
    return ExitCode.failure;
  }

  if (error instanceof DucklingClientError) {
    // The code goes on the first line, because DuckDB messages end in a multi-line pointer to the failing token.
    const [first = '', ...rest] = withCliAdvice(error).split('\n');
    let message = [`${first} (${error.code}, HTTP ${error.statusCode})`, ...rest].join('\n');
    if (error.statusCode === 401 && error.body.code === 'DUCKLING_AUTH_REQUIRED') {
      message += '. No API key was sent: set DUCKLING_API_KEY in the environment or the env file ("duckling init" writes one), or pass --api-key-file';
    }
    print(output, error.code, message);
    return ExitCode.failure;
  }

  if (error instanceof CliError) {
    print(output, error.exitCode === ExitCode.usage ? 'USAGE' : 'FAILED', error.message);
    return error.exitCode;
  }

  const text = error instanceof Error ? (error.stack ?? error.message) : String(error);
  print(output, 'INTERNAL', `Unexpected failure: ${text}`);
  return ExitCode.failure;
}

/**
 * Prints the message after an `error:` prefix, with its further lines (such as a list of problems or
 * DuckDB's pointer to the failing token) indented below, or one JSON object with `--json`.
 */
function print(output: Output, code: string, message: string): void {
  if (output.json) {
    output.jsonLine({ error: { code, message } });
    return;
  }
  const [first = '', ...rest] = message.split('\n');
  output.error(first);
  for (const line of rest) output.note(`  ${line}`);
}

/**
 * Replaces advice that only fits HTTP callers with the matching command-line advice. The server's
 * DUCKLING_DATABASE_NOT_FOUND message ends in "; " and a hint about the `?db=` parameter.
 */
function withCliAdvice(error: DucklingClientError): string {
  if (error.code !== 'DUCKLING_DATABASE_NOT_FOUND') return error.message;
  const [statement = error.message] = error.message.split('; ');
  return `${statement}; pass an existing database id with --db (it defaults to "default"); "duckling status" lists the ids`;
}
