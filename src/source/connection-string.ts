import { realpathSync } from 'node:fs';
import path from 'node:path';
import { DucklingError } from '../errors/index.js';

export type SslMode = 'DISABLED' | 'REQUIRED' | 'VERIFY_CA' | 'VERIFY_IDENTITY';

/** Host, port, user, schema and TLS mode of a source, without the password, so it is safe to log and return. */
export interface SourceEndpoint {
  host: string;
  port: number;
  user: string;
  schema: string;
  sslMode: string;
}

export interface ParsedConnection {
  endpoint: SourceEndpoint;
  password: string;
  sslMode: SslMode;
  /** Absolute paths inside the TLS directory, or null when not given. */
  sslFiles: { ca: string | null; cert: string | null; key: string | null };
  /** From the `connectTimeout` option, else null (use MYSQL_CONNECT_TIMEOUT_MS). */
  connectTimeoutMs: number | null;
}

const SSL_MODES: readonly SslMode[] = ['DISABLED', 'REQUIRED', 'VERIFY_CA', 'VERIFY_IDENTITY'];
const KNOWN_OPTIONS = ['ssl-mode', 'ssl-ca', 'ssl-cert', 'ssl-key', 'ssl', 'connectTimeout'];
const FORM = 'mysql://user:password@host:port/schema?options';

/**
 * Parses `mysql://user:password@host:port/schema?options`. User and password are
 * percent-decoded; `ssl-ca`, `ssl-cert` and `ssl-key` must resolve inside `tlsDir`. Throws
 * `DucklingError` DUCKLING_VALIDATION_FAILED naming the problem; the message never contains
 * the password.
 */
export function parseConnectionString(url: string, tlsDir: string): ParsedConnection {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    // The URL parser rejects a port above 65535 or with non-digits; name that part instead of the
    // whole string. Only a port of digits is quoted, so a misplaced password is never echoed.
    const port = portText(url.trim());
    if (port !== null && /^\d+$/.test(port)) {
      throw invalid(`port ${port} is invalid; give a number from 1 to 65535, the port the server listens on (3306 by default)`);
    }
    if (port !== null) throw invalid('the port is not a number; give a number from 1 to 65535, the port the server listens on (3306 by default)');
    throw invalid(`it is not a URL; expected ${FORM}`);
  }
  if (parsed.protocol !== 'mysql:') throw invalid(`the scheme is "${parsed.protocol.replace(/:$/, '')}"; expected ${FORM}`);

  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!host) throw invalid(`the host is missing; expected ${FORM}`);
  const port = parsed.port === '' ? 3306 : Number(parsed.port);
  if (port === 0) throw invalid('port 0 is not a valid port; give the port the server listens on (3306 by default)');
  const user = decode(parsed.username, 'user');
  if (!user) throw invalid(`the user is missing; expected ${FORM}`);
  const password = decode(parsed.password, 'password');
  const schema = decode(parsed.pathname.replace(/^\//, ''), 'schema');
  if (!schema) throw invalid(`the schema is missing; put the database name after the host, e.g. mysql://user@${host}:${port}/shop`);
  if (schema.includes('/')) throw invalid(`the schema "${schema}" contains "/"; give one database name`);

  const options = readOptions(parsed.searchParams);
  const sslMode = readSslMode(options);
  return {
    endpoint: { host, port, user, schema, sslMode },
    password,
    sslMode,
    sslFiles: {
      ca: tlsFile(options.get('ssl-ca'), 'ssl-ca', tlsDir),
      cert: tlsFile(options.get('ssl-cert'), 'ssl-cert', tlsDir),
      key: tlsFile(options.get('ssl-key'), 'ssl-key', tlsDir),
    },
    connectTimeoutMs: readTimeout(options.get('connectTimeout')),
  };
}

function invalid(reason: string): DucklingError {
  return new DucklingError(
    'DUCKLING_VALIDATION_FAILED',
    { detail: `connection string is invalid: ${reason}` },
    { extra: { details: [{ field: 'connectionString', message: reason }] } },
  );
}

function decode(text: string, part: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw invalid(`the ${part} has a malformed percent escape; encode special characters as %XX`);
  }
}

function readOptions(search: URLSearchParams): Map<string, string> {
  const options = new Map<string, string>();
  for (const [name, value] of search) {
    if (!KNOWN_OPTIONS.includes(name)) throw invalid(`unknown option "${name}"; supported options are ${KNOWN_OPTIONS.join(', ')}`);
    if (options.has(name)) throw invalid(`option "${name}" is given twice`);
    options.set(name, value);
  }
  return options;
}

function readSslMode(options: Map<string, string>): SslMode {
  const mode = options.get('ssl-mode');
  const ssl = options.get('ssl');
  if (ssl !== undefined && ssl !== 'true' && ssl !== 'false') throw invalid(`option ssl="${ssl}" must be true or false`);
  if (mode === undefined) return ssl === 'true' ? 'VERIFY_IDENTITY' : 'DISABLED';

  const upper = mode.toUpperCase() as SslMode;
  if (!SSL_MODES.includes(upper)) throw invalid(`ssl-mode "${mode}" is not one of ${SSL_MODES.join(', ')}`);
  if (ssl === 'true' && upper !== 'VERIFY_IDENTITY') throw invalid(`ssl=true means VERIFY_IDENTITY but ssl-mode is ${upper}; give one of them`);
  return upper;
}

function tlsFile(value: string | undefined, option: string, tlsDir: string): string | null {
  if (value === undefined) return null;
  if (value === '') throw invalid(`option ${option} is empty; name a file in MYSQL_TLS_DIR (${tlsDir})`);
  const root = path.resolve(tlsDir);
  const resolved = path.resolve(root, value);
  const outside = (candidate: string) => candidate !== root && !candidate.startsWith(root + path.sep);
  if (outside(resolved) || outside(realOrSelf(resolved, root))) {
    throw invalid(`option ${option}="${value}" resolves outside MYSQL_TLS_DIR (${root}); put the file in that directory`);
  }
  return resolved;
}

/** Follows symbolic links when the file exists, so a link cannot point out of the TLS directory. */
function realOrSelf(file: string, root: string): string {
  try {
    const realRoot = realpathSync(root);
    const real = realpathSync(file);
    return real.startsWith(realRoot + path.sep) ? path.join(root, path.relative(realRoot, real)) : real;
  } catch {
    return file;
  }
}

function readTimeout(value: string | undefined): number | null {
  if (value === undefined) return null;
  const timeout = Number(value);
  if (!/^[0-9]+$/.test(value) || timeout < 100 || timeout > 600_000) {
    throw invalid(`connectTimeout="${value}" must be a whole number of milliseconds between 100 and 600000`);
  }
  return timeout;
}

/** Returns the text after the host's colon in a `scheme://user@host:port/…` string, or null when there is none. */
function portText(url: string): string | null {
  const match = /^[a-z]+:\/\/(?:[^@/?#]*@)?(?:\[[^\]]*\]|[^:/?#@]*):([^/?#@]*)(?=[/?#]|$)/i.exec(url);
  return match ? match[1]! : null;
}
