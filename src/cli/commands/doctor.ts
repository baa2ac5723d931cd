import { existsSync, constants as fsConstants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { Command } from 'commander';
import { ConfigError, loadConfig, type Config } from '../../config/index.js';
import type { CheckStatus, DiagnosisCheck } from '../../diagnose/index.js';
import { errorMessage } from '../../errors/index.js';
import { rejectDbWithAll } from '../all-databases.js';
import { evaluateFindings, summarizeRegistry } from '../../security/index.js';
import { createContext, type CliContext } from '../context.js';
import { CliError } from '../errors.js';
import type { Output } from '../output.js';

interface DoctorOptions {
  all?: boolean;
}

/** A doctor finding: the diagnosis checks plus config, replica and port checks, same shape. */
type Finding = Pick<DiagnosisCheck, 'id' | 'name' | 'status' | 'detail' | 'fix'>;

interface DatabaseReport {
  id: string;
  status: CheckStatus;
  checks: Finding[];
}

/**
 * Builds `duckling doctor`. It validates the settings, then diagnoses the source and checks the
 * replica file of one database, or of every one with `--all`. It exits 1 when any check fails.
 * It reads the env file and `DATA_PATH` itself, so it needs no running server.
 */
export function doctorCommand(): Command {
  return new Command('doctor')
    .description('Check the settings, each source (version, privileges, binlog, tables) and each replica file; exit 1 on a failed check')
    .option('--all', 'check every configured database instead of --db')
    .action(async function (this: Command) {
      const context = createContext(this);
      const options = this.opts<DoctorOptions>();
      if (options.all) rejectDbWithAll(context, 'doctor');
      const { config, finding: configFinding } = loadDoctorConfig(context);

      const general: Finding[] = [configFinding];
      const databases: DatabaseReport[] = [];
      if (config) {
        general.push(await portFinding(config));
        databases.push(...(await checkDatabases(context, config, options.all ?? false, general)));
      }

      const status = worst([...general, ...databases.flatMap((database) => database.checks)]);
      if (context.output.json) context.output.jsonLine({ success: status !== 'fail', status, checks: general, databases });
      else printReport(context.output, general, databases);
      if (status === 'fail') throw new CliError('doctor found failed checks; apply the fixes listed above and run it again');
    });
}

function loadDoctorConfig(context: CliContext): { config: Config | null; finding: Finding } {
  const base = { id: 'config', name: 'Settings' };
  try {
    const config = loadConfig({ ...process.env }, { envFile: context.envFilePath });
    const sources = existsSync(context.envFilePath) ? `the environment and ${context.envFilePath}` : 'the environment';
    const unknown = config.unknownVariables.length > 0 ? `; unknown variables ignored: ${config.unknownVariables.join(', ')}` : '';
    return { config, finding: { ...base, status: unknown ? 'warn' : 'pass', detail: `settings from ${sources} are valid${unknown}`, ...(unknown ? { fix: 'correct the spelling of the unknown variables or remove them' } : {}) } };
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.map((problem) => problem.message).join('; ');
    return { config: null, finding: { ...base, status: 'fail', detail: problems, fix: `correct the settings in the environment or ${context.envFilePath}` } };
  }
}

/** Checks that HOST:PORT is free. A taken port often means the server runs, which doctor cannot tell apart from another program. */
async function portFinding(config: Config): Promise<Finding> {
  const base = { id: 'port', name: 'HTTP port' };
  const free = await new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(config.port, config.host, () => server.close(() => resolve(true)));
  });
  if (free) return { ...base, status: 'pass', detail: `${config.host}:${config.port} is free` };
  return { ...base, status: 'warn', detail: `${config.host}:${config.port} is in use; fine if Duckling is already serving there`, fix: 'stop the other program or set PORT to a free port' };
}

async function checkDatabases(context: CliContext, config: Config, all: boolean, general: Finding[]): Promise<DatabaseReport[]> {
  // Loaded here so the other commands do not pay for importing mysql2.
  const { DatabaseRegistry } = await import('../../registry/index.js');
  const { createLogger } = await import('../../logging/index.js');
  const logger = createLogger({ level: 'silent', version: 'doctor' });

  let registry;
  try {
    registry = await DatabaseRegistry.load({ config, logger });
  } catch (error) {
    general.push({ id: 'registry', name: 'Database registry', status: 'fail', detail: errorMessage(error), fix: 'correct or remove DATA_PATH/databases.json' });
    return [];
  }
  general.push(...securityFindings(config, registry.list()));
  const records = all ? registry.list() : registry.list().filter((record) => record.id === context.options.db);
  if (records.length === 0) {
    const known = registry.list().map((record) => record.id).join(', ') || 'none';
    general.push({ id: 'registry', name: 'Database registry', status: 'fail', detail: `no database ${all ? 'is configured' : `"${context.options.db}"`} (configured: ${known})`, fix: 'set MYSQL_CONNECTION_STRING or pick an id with --db' });
    return [];
  }

  const reports: DatabaseReport[] = [];
  for (const record of records) {
    const checks = [await replicaFinding(registry.replicaPath(record)), ...(await sourceFindings(config, record, logger))];
    reports.push({ id: record.id, status: worst(checks), checks });
  }
  return reports;
}

/** Runs the startup security checks of `serve`: a fatal finding fails, a warning warns. */
function securityFindings(config: Config, records: Parameters<typeof summarizeRegistry>[0]): Finding[] {
  const findings = evaluateFindings(config, summarizeRegistry(records));
  if (findings.length === 0) return [{ id: 'security', name: 'Security', status: 'pass', detail: 'no startup security finding' }];
  return findings.map((finding) => ({
    id: `security:${finding.id}`,
    name: 'Security',
    status: finding.severity === 'fatal' ? 'fail' : 'warn',
    detail: finding.message,
    fix: finding.remedy,
  }));
}

async function replicaFinding(file: string): Promise<Finding> {
  const base = { id: 'replica', name: 'Replica file' };
  try {
    const info = await stat(file);
    await access(file, fsConstants.R_OK | fsConstants.W_OK);
    return { ...base, status: 'pass', detail: `${file} (${info.size} bytes) is readable and writable` };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      return { ...base, status: 'warn', detail: `${file} does not exist yet`, fix: 'run "duckling sync" once the server runs' };
    }
    return { ...base, status: 'fail', detail: `${file}: ${errorMessage(error)}`, fix: 'give the Duckling user read and write access to DATA_PATH' };
  }
}

async function sourceFindings(config: Config, record: { id: string; mysqlConnectionString: string; sync?: Record<string, unknown> }, logger: import('../../logging/index.js').Logger): Promise<Finding[]> {
  const { SourceDatabase } = await import('../../source/index.js');
  const { diagnoseSource } = await import('../../diagnose/index.js');
  const checks: Finding[] = [];
  let source;
  try {
    source = SourceDatabase.create({ databaseId: record.id, connectionString: record.mysqlConnectionString, config, logger });
  } catch (error) {
    return [{ id: 'connection', name: 'Connection', status: 'fail', detail: errorMessage(error), fix: 'correct the connection string' }];
  }
  try {
    const sync = record.sync as { excludedTables?: string[]; watermarkColumns?: Record<string, string>; appendOnlyTables?: string[]; lookbackSeconds?: number } | undefined;
    await diagnoseSource({
      databaseId: record.id,
      source,
      excludedTables: [...config.sync.excludedTables, ...(sync?.excludedTables ?? [])],
      watermarkCandidates: config.sync.watermarkColumns,
      lookbackSeconds: config.sync.lookbackSeconds,
      syncOptions: { watermarkColumns: sync?.watermarkColumns, appendOnlyTables: sync?.appendOnlyTables, lookbackSeconds: sync?.lookbackSeconds },
      onCheck: (check) => checks.push(check),
    });
  } catch (error) {
    // The failed connection check is already listed; anything else is reported as its own finding.
    if (!checks.some((check) => check.status === 'fail')) {
      checks.push({ id: 'diagnosis', name: 'Source diagnosis', status: 'fail', detail: errorMessage(error) });
    }
  } finally {
    await source.close();
  }
  return checks;
}

function worst(findings: readonly Finding[]): CheckStatus {
  if (findings.some((finding) => finding.status === 'fail')) return 'fail';
  return findings.some((finding) => finding.status === 'warn') ? 'warn' : 'pass';
}

function printReport(output: Output, general: readonly Finding[], databases: readonly DatabaseReport[]): void {
  printFindings(output, general);
  for (const database of databases) {
    output.line('');
    output.line(output.bold(`Database ${database.id}: ${database.status}`));
    printFindings(output, database.checks);
  }
}

function printFindings(output: Output, findings: readonly Finding[]): void {
  for (const finding of findings) {
    const label = statusLabel(output, finding.status);
    output.line(`${label}  ${finding.name}: ${finding.detail}`);
    if (finding.fix && finding.status !== 'pass') output.line(`      fix: ${finding.fix}`);
  }
}

function statusLabel(output: Output, status: CheckStatus): string {
  if (status === 'pass') return output.green('pass');
  if (status === 'warn') return output.yellow('warn');
  return output.red('FAIL');
}
