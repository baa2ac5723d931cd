import { Command, InvalidArgumentError } from 'commander';
import { writeCrashReport } from '../crash-report.js';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import { createLogger, type Logger } from '../../logging/index.js';
import { startSentry, type ErrorReporter } from '../../observability/sentry.js';
import { configInvalidFindings, configuredSecretValues, FatalFindingsError, formatFatalLine } from '../../security/index.js';
import { createContext, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import { VERSION } from '../version.js';

interface ServeOptions {
  port?: number;
  host?: string;
}

/** `duckling serve`: runs the server in the foreground until SIGTERM or SIGINT. */
export function serveCommand(): Command {
  return new Command('serve')
    .description('Run the server in the foreground; SIGTERM or SIGINT shuts it down cleanly')
    .option('--port <port>', 'HTTP port, 0 to 65535 (overrides PORT)', parsePort)
    .option('--host <address>', 'bind address of the HTTP listener (overrides HOST)')
    .action(async function (this: Command) {
      const context = createContext(this);
      const config = loadServeConfig(context, this.opts<ServeOptions>());
      const secretValues = configuredSecretValues(config);
      const logger = createLogger({ level: config.logLevel, version: VERSION, logsDir: config.logsDir, secretValues });
      if (config.unknownVariables.length > 0) {
        logger.warn({ variables: config.unknownVariables }, 'unknown variables ignored, check their spelling');
      }
      // Sentry starts before anything opens, so a failing start is reported too.
      const reporter = await startSentry(config, logger, secretValues);
      installCrashHandlers(logger, config, reporter);
      try {
        await serve(config, logger, reporter);
      } finally {
        await flushReporter(reporter, logger);
      }
    });
}

function loadServeConfig(context: CliContext, options: ServeOptions): Config {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (options.port !== undefined) env.PORT = String(options.port);
  if (options.host !== undefined) env.HOST = options.host;

  try {
    return loadConfig(env, { envFile: context.envFilePath });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printFatalLines(configInvalidFindings(error).map(formatFatalLine));
    throw new CliError(`Invalid configuration (environment and ${context.envFilePath}): ${error.problems.length} variable(s) listed above; correct them and start again`);
  }
}

/** Starts every component, waits for SIGTERM or SIGINT, then stops them; a second signal exits at once. */
async function serve(config: Config, logger: Logger, reporter: ErrorReporter): Promise<void> {
  // Loaded here so the data commands do not pay for importing the server, DuckDB and mysql2.
  const { createDuckling } = await import('../../app/index.js');
  const duckling = await createDuckling(config, { logger, errorReporter: reporter });

  const stopSignal = waitForStopSignal();
  try {
    await duckling.start();
  } catch (error) {
    logger.error({ err: error }, 'start failed');
    if (!(error instanceof FatalFindingsError)) reporter.captureException(error, { tags: { phase: 'start' } });
    await duckling.stop().catch((stopError: unknown) => logger.error({ err: stopError }, 'stop after failed start failed'));
    if (error instanceof FatalFindingsError) {
      printFatalLines(error.lines);
      throw new CliError(`Duckling did not start: ${error.findings.length} fatal security finding(s) listed above; fix them and start again`);
    }
    throw new CliError(`Duckling failed to start: ${(error as Error).message}`);
  }

  const signal = await stopSignal.promise;
  logger.info({ signal }, 'shutdown requested');
  const forceExit = (second: NodeJS.Signals) => {
    logger.warn({ signal: second }, 'second signal received, exiting without a clean shutdown');
    process.exit(1);
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);

  await duckling.stop();
  logger.info({}, 'shutdown complete');
}

/** Prints one `FATAL security: …` line per problem on standard error, each on its own line for log scanners. */
function printFatalLines(lines: readonly string[]): void {
  for (const line of lines) process.stderr.write(`${line}\n`);
}

function waitForStopSignal(): { promise: Promise<NodeJS.Signals> } {
  const promise = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  return { promise };
}

/** Sentry gets this long to send queued events at shutdown and before a crash exit. */
const REPORTER_FLUSH_TIMEOUT_MS = 2_000;

async function flushReporter(reporter: ErrorReporter, logger: Logger): Promise<void> {
  if (!reporter.enabled) return;
  const flushed = await reporter.flush(REPORTER_FLUSH_TIMEOUT_MS);
  if (!flushed) logger.warn({ timeoutMs: REPORTER_FLUSH_TIMEOUT_MS }, 'sentry did not send every event before shutdown');
}

/**
 * Logs and reports an uncaught exception or rejection, then exits 1, because the process state is
 * then unknown.
 */
function installCrashHandlers(logger: Logger, config: Config, reporter: ErrorReporter): void {
  const crash = (error: unknown, message: string) => {
    logger.fatal({ err: error }, message);
    if (config.crashDebug) writeCrashReport(error, config, logger);
    reporter.captureException(error, { tags: { phase: 'uncaught' } });
    // Exits after the flush or its timeout, whichever comes first.
    void flushReporter(reporter, logger).finally(() => process.exit(1));
  };
  process.on('uncaughtException', (error) => crash(error, 'uncaught exception'));
  process.on('unhandledRejection', (reason) => crash(reason, 'unhandled promise rejection'));
}

function parsePort(text: string): number {
  const value = Number(text);
  if (!/^\d+$/.test(text) || value > 65535) throw new InvalidArgumentError('expected a port number from 0 to 65535.');
  return value;
}
