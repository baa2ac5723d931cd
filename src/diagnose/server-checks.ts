import type { Flavour } from '../source/index.js';
import type { DiagnosisCheck } from './types.js';
import { firstAccepted, isPrivilegeError, readVariables, serverMessage, type Prober, type VariableRead } from './probes.js';

const VARIABLE_NAMES = [
  'character_set_server', 'collation_server', 'log_bin', 'binlog_format', 'binlog_row_image', 'binlog_row_metadata',
  'binlog_row_value_options', 'binlog_expire_logs_seconds', 'expire_logs_days', 'sql_mode', 'time_zone',
  'system_time_zone', 'server_id', 'lower_case_table_names',
] as const;

const ONE_DAY_SECONDS = 86_400;

export interface ServerContext {
  source: Prober;
  flavour: Flavour;
  version: string;
  /** The CDC server id Duckling would use; null when none is configured. */
  cdcServerId: number | null;
}

type Emit = (check: DiagnosisCheck) => void;

/** Runs the server, binlog and access checks in order, passing each result to `emit`. */
export async function runServerChecks(context: ServerContext, emit: Emit): Promise<{ sqlModeAllowsZeroDates: boolean }> {
  const variables = await readVariables(context.source, VARIABLE_NAMES);
  emit(versionCheck(context));
  emit(charsetCheck(variables));

  for (const check of binlogVariableChecks(variables, context.flavour)) emit(check);
  emit(await binlogStatusCheck(context));

  emit(await replicationCheck(context));
  const sqlMode = sqlModeCheck(variables);
  emit(sqlMode.check);
  emit(simpleCheck(variables, 'time_zone', 'Time zone', (value, all) => ({
    status: 'pass',
    detail: `global time_zone ${value} (system ${all.get('system_time_zone') ?? 'unknown'}); Duckling reads TIMESTAMP columns in UTC and DATETIME columns as stored`,
  })));
  emit(simpleCheck(variables, 'server_id', 'Server id', (value) => value === '0'
    ? { status: 'warn', detail: 'server_id is 0, so the server refuses binlog clients', fix: 'set server_id to a non-zero value unique among your servers' }
    : { status: 'pass', detail: `server_id ${value}` }));
  emit(simpleCheck(variables, 'lower_case_table_names', 'Table name case', (value) => value === '0'
    ? { status: 'pass', detail: 'lower_case_table_names 0: table names are case-sensitive, as in the replica' }
    : { status: 'warn', detail: `lower_case_table_names ${value}: the source folds table names to lower case`, fix: 'name tables in EXCLUDED_TABLES and sync settings in lower case' }));
  return { sqlModeAllowsZeroDates: sqlMode.allowsZeroDates };
}

function versionCheck(context: ServerContext): DiagnosisCheck {
  const [major = 0, minor = 0] = context.version.split(/[.-]/).map((part) => Number.parseInt(part, 10));
  const old = context.flavour === 'mariadb' ? major < 10 || (major === 10 && minor < 5) : major < 8;
  const name = context.flavour === 'mariadb' ? 'MariaDB' : 'MySQL';
  // MariaDB versions already name the product (10.11.19-MariaDB-0+deb12u1-log).
  const label = /mariadb/i.test(context.version) ? context.version : `${name} ${context.version}`;
  if (!old) return { id: 'version', name: 'Server version', group: 'server', status: 'pass', detail: label };
  return {
    id: 'version', name: 'Server version', group: 'server', status: 'warn',
    detail: `${label} is older than ${context.flavour === 'mariadb' ? '10.5' : '8.0'}; binlog row metadata and some checks are missing`,
    fix: 'upgrade the source server',
  };
}

function charsetCheck(variables: VariableRead): DiagnosisCheck {
  const check = simpleCheck(variables, 'character_set_server', 'Character set', (value, all) => value === 'utf8mb4'
    ? { status: 'pass', detail: `utf8mb4 (collation ${all.get('collation_server') ?? 'unknown'})` }
    : { status: 'warn', detail: `character_set_server is ${value}; columns created without a character set cannot hold 4-byte characters such as emoji`, fix: 'set character_set_server=utf8mb4 and convert tables with ALTER TABLE ... CONVERT TO CHARACTER SET utf8mb4' }, 'server');
  return { ...check, id: 'charset' };
}

function binlogVariableChecks(variables: VariableRead, flavour: Flavour): DiagnosisCheck[] {
  const expect = (name: string, label: string, expected: string, fix: string): DiagnosisCheck =>
    simpleCheck(variables, name, label, (value) => value.toUpperCase() === expected
      ? { status: 'pass', detail: `${name} ${value}` }
      : { status: 'warn', detail: `${name} is ${value}; CDC needs ${expected}`, fix }, 'binlog');

  return [
    expect('log_bin', 'Binary log', 'ON', 'start the server with log_bin (and restart it)'),
    expect('binlog_format', 'Binlog format', 'ROW', 'SET GLOBAL binlog_format=ROW and set it in the server configuration'),
    expect('binlog_row_image', 'Binlog row image', 'FULL', 'SET GLOBAL binlog_row_image=FULL and set it in the server configuration'),
    simpleCheck(variables, 'binlog_row_metadata', 'Binlog row metadata', (value) => value.toUpperCase() === 'FULL'
      ? { status: 'pass', detail: `binlog_row_metadata ${value}` }
      : { status: 'warn', detail: `binlog_row_metadata is ${value}; CDC then relies on its own schema history`, fix: 'SET GLOBAL binlog_row_metadata=FULL' }, 'binlog',
    { status: 'warn', detail: 'the server has no binlog_row_metadata; CDC relies on its own schema history', fix: 'upgrade to MySQL 8.0 or MariaDB 10.5 or later' }),
    simpleCheck(variables, 'binlog_row_value_options', 'Partial JSON updates', (value) => /PARTIAL_JSON/i.test(value)
      ? { status: 'warn', detail: 'binlog_row_value_options is PARTIAL_JSON; CDC cannot apply partial JSON updates', fix: "SET GLOBAL binlog_row_value_options=''" }
      : { status: 'pass', detail: 'JSON updates are logged whole' }, 'binlog',
    { status: 'pass', detail: 'the server has no partial JSON updates in the binlog' }),
    retentionCheck(variables, flavour),
  ];
}

function retentionCheck(variables: VariableRead, flavour: Flavour): DiagnosisCheck {
  const fix = flavour === 'mariadb' ? 'SET GLOBAL expire_logs_days=1 (or more)' : 'SET GLOBAL binlog_expire_logs_seconds=86400 (or more)';
  const judge = (seconds: number, text: string): Omit<DiagnosisCheck, 'id' | 'name' | 'group'> => {
    if (seconds === 0) return { status: 'pass', detail: `${text}: binary logs are never purged automatically` };
    if (seconds >= ONE_DAY_SECONDS) return { status: 'pass', detail: text };
    return { status: 'warn', detail: `${text} is under one day; a CDC stream stopped longer than that cannot resume`, fix };
  };
  // One id on both flavours, so clients need not know which variable the server has.
  const check = flavour === 'mariadb'
    ? simpleCheck(variables, 'expire_logs_days', 'Binlog retention', (value) => judge(Number(value) * ONE_DAY_SECONDS, `expire_logs_days ${value}`), 'binlog')
    : simpleCheck(variables, 'binlog_expire_logs_seconds', 'Binlog retention', (value) => judge(Number(value), `binlog_expire_logs_seconds ${value}`), 'binlog');
  return { ...check, id: 'binlog_retention' };
}

async function binlogStatusCheck(context: ServerContext): Promise<DiagnosisCheck> {
  const base = { id: 'binlog_status', name: 'Binlog position', group: 'binlog' } as const;
  const result = await firstAccepted(context.source, ['SHOW BINARY LOG STATUS', 'SHOW BINLOG STATUS', 'SHOW MASTER STATUS']);
  if ('error' in result) {
    const grant = context.flavour === 'mariadb' ? 'BINLOG MONITOR' : 'REPLICATION CLIENT';
    return isPrivilegeError(result.error)
      ? { ...base, status: 'warn', detail: `insufficient privileges: the binlog position is unreadable (${serverMessage(result.error)})`, fix: `GRANT ${grant} ON *.* TO the Duckling user` }
      : { ...base, status: 'warn', detail: `the binlog position is unreadable: ${serverMessage(result.error)}`, fix: 'enable the binary log' };
  }
  const row = result.rows[0];
  if (!row) return { ...base, status: 'warn', detail: `${result.statement} returned no row: the binary log is off`, fix: 'start the server with log_bin' };
  return { ...base, status: 'pass', detail: `${String(row.File)}:${String(row.Position)} (${result.statement})` };
}

/** Lists registered replicas; needs the replication privilege, so it also probes that grant. */
async function replicationCheck(context: ServerContext): Promise<DiagnosisCheck> {
  const base = { id: 'replication', name: 'Replication access and CDC server id', group: 'access' } as const;
  const result = await firstAccepted(context.source, ['SHOW REPLICAS', 'SHOW SLAVE HOSTS']);
  if ('error' in result) {
    const grant = context.flavour === 'mariadb' ? 'REPLICATION SLAVE, REPLICATION MASTER ADMIN' : 'REPLICATION SLAVE, REPLICATION CLIENT';
    return {
      ...base, status: 'warn',
      detail: `insufficient privileges for CDC: ${serverMessage(result.error)}`,
      fix: `GRANT ${grant} ON *.* TO the Duckling user (needed for CDC only)`,
    };
  }
  const ids = result.rows.map((row) => Number(row.Server_id ?? row.Server_Id ?? 0));
  if (context.cdcServerId !== null && ids.includes(context.cdcServerId)) {
    return { ...base, status: 'fail', detail: `server id ${context.cdcServerId} is already used by another replica`, fix: 'set CDC_SERVER_ID to an id no replica of this source uses' };
  }
  const detail = ids.length === 0 ? 'no replicas registered' : `replica server ids in use: ${ids.join(', ')}`;
  return { ...base, status: 'pass', detail };
}

function sqlModeCheck(variables: VariableRead): { check: DiagnosisCheck; allowsZeroDates: boolean } {
  let allowsZeroDates = true;
  const check = simpleCheck(variables, 'sql_mode', 'SQL mode', (value) => {
    const modes = new Set(value.toUpperCase().split(','));
    const missing = ['NO_ZERO_DATE', 'NO_ZERO_IN_DATE'].filter((mode) => !modes.has(mode));
    allowsZeroDates = missing.length > 0;
    if (!allowsZeroDates) return { status: 'pass', detail: `sql_mode ${value}` };
    return {
      status: 'warn',
      detail: `sql_mode lacks ${missing.join(' and ')}, so zero dates can be stored; the replica stores them as NULL`,
      fix: 'add NO_ZERO_DATE,NO_ZERO_IN_DATE to sql_mode and correct existing zero dates',
    };
  }, 'access');
  return { check, allowsZeroDates };
}

type Verdict = Omit<DiagnosisCheck, 'id' | 'name' | 'group'>;

/** Builds a check from one variable: unreadable variables warn, absent ones get `whenAbsent`. */
function simpleCheck(
  variables: VariableRead,
  name: string,
  label: string,
  judge: (value: string, all: ReadonlyMap<string, string>) => Verdict,
  group: DiagnosisCheck['group'] = 'access',
  whenAbsent?: Verdict,
): DiagnosisCheck {
  const base = { id: name, name: label, group };
  if (!variables.ok) return { ...base, status: 'warn', detail: `${name} is unreadable: ${variables.reason}`, fix: 'grant the Duckling user access to global variables' };
  const value = variables.values.get(name);
  if (value === undefined) return { ...base, ...(whenAbsent ?? { status: 'warn', detail: `the server has no variable ${name}` }) };
  return { ...base, ...judge(value, variables.values) };
}
