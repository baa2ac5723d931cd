import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { randomInt } from 'node:crypto';
import { Command } from 'commander';
import { VARIABLES, type VariableSpec } from '../../config/index.js';
import { describeVariable } from '../../config/env-example.js';
import { createContext } from '../context.js';
import { CliError } from '../errors.js';
import { generateKey } from './gen-key.js';

const PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789';
const PASSWORD_LENGTH = 24;
const DEFAULT_DATA_PATH = './data';

interface InitOptions {
  force?: boolean;
  dir?: string;
}

/** `duckling init`: writes a private `.env` with fresh secrets and creates the data directory. */
export function initCommand(): Command {
  return new Command('init')
    .description('Write .env (mode 0600) with random secrets and commented defaults, and create the data directory')
    .option('--force', 'overwrite an existing .env; its secrets are lost')
    .option('--dir <path>', 'directory to write .env and data/ into', '.')
    .action(function (this: Command) {
      const context = createContext(this);
      const options = this.opts<InitOptions>();
      const result = initialize(path.resolve(options.dir ?? '.'), Boolean(options.force));
      const output = context.output;

      if (output.json) {
        output.jsonLine(result);
        return;
      }
      output.line(`Wrote ${result.envFile} (mode 0600).`);
      output.line(`Created the data directory ${result.dataPath}.`);
      output.line(`Admin user: ${result.adminUsername}`);
      output.line(`Admin password (printed only now; log in with POST /api/login): ${result.adminPassword}`);
      output.line('');
      output.line(`Next: set MYSQL_CONNECTION_STRING in ${result.envFile}, then run "duckling serve".`);
    });
}

export interface InitResult {
  envFile: string;
  dataPath: string;
  adminUsername: string;
  adminPassword: string;
}

/** Writes `<directory>/.env` and creates the data directory; refuses to replace a file unless `force`. */
export function initialize(directory: string, force: boolean): InitResult {
  const envFile = path.join(directory, '.env');
  if (existsSync(envFile) && !force) {
    throw new CliError(`${envFile} already exists; pass --force to overwrite it (its API key and secrets are replaced), or --dir to write elsewhere`);
  }

  // A relative DATA_PATH resolves against the directory "duckling serve" runs in, so .env written
  // for another directory names its data directory absolutely.
  const dataPath = path.join(directory, 'data');
  const dataPathSetting = path.resolve(directory) === process.cwd() ? null : dataPath;
  const adminPassword = generatePassword();
  const values: Record<string, string> = {
    DUCKLING_API_KEY: generateKey(32, 'hex'),
    SESSION_SECRET: generateKey(32, 'hex'),
    JWT_SECRET: generateKey(32, 'hex'),
    DUCKLING_SECRETS_KEY: generateKey(32, 'hex'),
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: adminPassword,
    ...(dataPathSetting ? { DATA_PATH: dataPathSetting } : {}),
  };

  try {
    mkdirSync(directory, { recursive: true });
    writeFileSync(envFile, renderEnvFile(values, new Date()), { mode: 0o600, flag: force ? 'w' : 'wx' });
    // `mode` applies only when the file is created, so an overwritten file is tightened here.
    chmodSync(envFile, 0o600);
    mkdirSync(dataPath, { recursive: true, mode: 0o700 });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') throw new CliError(`${envFile} already exists; pass --force to overwrite it`);
    throw new CliError(`Cannot write ${envFile}: ${(error as Error).message}`);
  }

  return { envFile, dataPath, adminUsername: 'admin', adminPassword };
}

/** Generates a password of letters and digits without look-alikes (0/O, 1/l/I), drawn without modulo bias. */
export function generatePassword(length = PASSWORD_LENGTH): string {
  let password = '';
  for (let index = 0; index < length; index += 1) password += PASSWORD_ALPHABET[randomInt(PASSWORD_ALPHABET.length)];
  return password;
}

/**
 * Renders every known variable, grouped as in the settings table: the values given are set, every
 * other variable is a commented line showing its default.
 */
export function renderEnvFile(values: Record<string, string>, now: Date): string {
  const lines = [
    `# Duckling settings, written by "duckling init" at ${now.toISOString()}.`,
    '# This file holds the API key and secrets: keep it private (mode 0600) and out of version control.',
    '# A commented line shows the default; remove the "#" and edit the value to change it.',
  ];

  let group = '';
  for (const spec of VARIABLES) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push('', `# ===== ${group} =====`);
    }
    lines.push(`# ${describeVariable(spec)}`);
    const value = values[spec.name];
    lines.push(value === undefined ? `# ${spec.name}=${quoteValue(exampleValue(spec))}` : `${spec.name}=${quoteValue(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

function exampleValue(spec: VariableSpec): string {
  if (spec.name === 'MYSQL_CONNECTION_STRING') return 'mysql://user:password@127.0.0.1:3306/schema';
  if (spec.name === 'DATA_PATH') return DEFAULT_DATA_PATH;
  return spec.default;
}

/**
 * Quotes a value when dotenv would otherwise cut it at a `#` or trim its spaces. dotenv has no escape
 * for the quote character itself, so the quote is one the value does not contain.
 */
function quoteValue(value: string): string {
  if (!/[\s#"'`]/.test(value)) return value;
  const quote = ['"', "'", '`'].find((candidate) => !value.includes(candidate));
  if (!quote) throw new CliError(`Cannot write the value ${JSON.stringify(value)} to .env: it contains every quote character`);
  return `${quote}${value}${quote}`;
}
