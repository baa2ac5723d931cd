/**
 * Startup security validation: pure functions from the settings and a summary of the registry to
 * findings. A fatal finding stops the start, and a warning is logged and listed. No message or
 * remedy contains a secret value, only variable names, lengths, database ids and host names.
 */
import { durationToSeconds, type Config, type ConfigError } from '../config/index.js';

export type FindingSeverity = 'fatal' | 'warning';

export type FindingId =
  | 'session_secret_missing'
  | 'jwt_secret_placeholder'
  | 'admin_credentials_missing'
  | 'secrets_unreadable'
  | 'config_invalid'
  | 'api_key_missing'
  | 'api_key_weak'
  | 'api_key_previous_set'
  | 'admin_password_weak'
  | 'secret_short'
  | 'secret_reused'
  | 'jwt_lifetime_long'
  | 'rate_limit_off'
  | 'cors_wildcard'
  | 'trust_proxy_all'
  | 'forwarded_header_ignored'
  | 'mysql_protocol_no_password'
  | 'mysql_protocol_password_is_api_key'
  | 'mysql_protocol_plaintext'
  | 'source_plaintext'
  | 'secrets_unsealed';

export interface Finding {
  id: FindingId;
  severity: FindingSeverity;
  /** The problem, naming the variable but never its value. */
  message: string;
  /** The operator's next step. */
  remedy: string;
}

/** One configured source as the `source_plaintext` check needs it, without its connection string. */
export interface SourceSummary {
  databaseId: string;
  host: string;
  sslMode: string;
}

/** Everything the startup checks read besides the settings. */
export interface RegistrySummary {
  sources: readonly SourceSummary[];
  /** True when `databases.json` contains a connection-string password or an S3 secret. */
  holdsSecrets: boolean;
  /** `<databaseId>/<field>` of sealed values that neither secrets key opens. */
  unreadableSecrets: readonly string[];
}

/** Secrets shorter than this get `secret_short`, and API keys `api_key_weak`. */
export const MIN_SECRET_LENGTH = 32;
/** Admin passwords shorter than this get `admin_password_weak`. */
export const MIN_ADMIN_PASSWORD_LENGTH = 16;
/** Token lifetimes above this get `jwt_lifetime_long`. */
const MAX_TOKEN_LIFETIME_SECONDS = 7 * 24 * 3600;

/** Values that sample files and tutorials use as secrets, compared ignoring case. */
const PLACEHOLDER_SECRETS = new Set([
  'secret',
  'changeme',
  'change-me',
  'change_me',
  'your-secret-key',
  'your_secret_key',
  'duckling',
  'generate-with-openssl-rand-hex-32',
  'jwt-secret',
  'jwt_secret',
  'session-secret',
  'session_secret',
  'password',
  'default',
  'test',
]);
/** Fragments that mark a value copied from an example rather than generated, compared ignoring case. */
const PLACEHOLDER_FRAGMENTS = ['change', 'placeholder', 'example', 'your-', '<', '>'];

/** Admin passwords that guessing tools try first, compared ignoring case. */
const COMMON_PASSWORDS = new Set([
  'admin',
  'password',
  'changeme',
  'duckling',
  'admin123',
  '123456',
  '12345678',
  '123456789',
  'password1',
  'password123',
  'qwerty',
  'letmein',
  'secret',
  'administrator',
]);

const GENERATE_HINT = 'generate one with "duckling gen-key", or let "duckling init" write it';

/** Computes every startup finding of the settings and the registry, fatal ones first. */
export function evaluateFindings(config: Config, registry: RegistrySummary): Finding[] {
  const findings = [
    ...credentialFindings(config),
    ...apiKeyFindings(config),
    ...networkFindings(config),
    // TODO(mysql-protocol): the MySQL protocol listener is not built yet, so its findings would warn
    // about a port that never opens — add `...mysqlProtocolFindings(config)` here once it listens.
    ...evaluateRegistryFindings(config, registry),
  ];
  return sortBySeverity(findings);
}

/** Ids of the findings that `evaluateRegistryFindings` computes, which change with `databases.json`. */
export const REGISTRY_FINDING_IDS: ReadonlySet<FindingId> = new Set<FindingId>(['secrets_unreadable', 'source_plaintext', 'secrets_unsealed']);

/** Builds one `config_invalid` finding per invalid variable. */
export function configInvalidFindings(error: ConfigError): Finding[] {
  return error.problems.map((problem) => ({
    id: 'config_invalid',
    severity: 'fatal',
    message: problem.message,
    remedy: `correct ${problem.variable} in the environment or the env file, then start again`,
  }));
}

/** Builds the run-time finding raised the first time a request carries `X-Forwarded-For` while `TRUST_PROXY=false`. */
export function forwardedHeaderIgnoredFinding(): Finding {
  return {
    id: 'forwarded_header_ignored',
    severity: 'warning',
    message: 'a request carried X-Forwarded-For while TRUST_PROXY=false, so client addresses are the proxy\'s address and rate limits are shared by every client behind it',
    remedy: 'behind a reverse proxy, set TRUST_PROXY to its hop count (1) or its addresses (e.g. 127.0.0.1); if there is no proxy, clients are sending the header themselves and it stays ignored',
  };
}

/** Formats the line that `duckling serve` prints for a fatal finding before it exits. */
export function formatFatalLine(finding: Finding): string {
  return `FATAL security: ${finding.message}; ${finding.remedy}`;
}

function credentialFindings(config: Config): Finding[] {
  const findings: Finding[] = [];
  const sessionSecret = text(config, 'SESSION_SECRET');
  const jwtSecret = text(config, 'JWT_SECRET');
  const username = text(config, 'ADMIN_USERNAME');
  const password = text(config, 'ADMIN_PASSWORD');

  if (sessionSecret === '') {
    findings.push(fatal('session_secret_missing', 'SESSION_SECRET is not set', GENERATE_HINT));
  }

  const placeholders = [
    ...(sessionSecret !== '' && isPlaceholder(sessionSecret) ? ['SESSION_SECRET'] : []),
    ...(jwtSecret !== '' && isPlaceholder(jwtSecret) ? ['JWT_SECRET'] : []),
  ];
  if (placeholders.length > 0) {
    findings.push(fatal(
      'jwt_secret_placeholder',
      `${placeholders.join(' and ')} ${placeholders.length > 1 ? 'are placeholders' : 'is a placeholder'} (a known default, a value from an example, or one repeated character)`,
      `replace it with a random value: ${GENERATE_HINT}`,
    ));
  }

  const missing = [...(username.trim() === '' ? ['ADMIN_USERNAME'] : []), ...(password.trim() === '' ? ['ADMIN_PASSWORD'] : [])];
  if (missing.length > 0) {
    findings.push(fatal(
      'admin_credentials_missing',
      `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} not set`,
      `set ADMIN_USERNAME and an ADMIN_PASSWORD of at least ${MIN_ADMIN_PASSWORD_LENGTH} characters ("duckling init" writes both)`,
    ));
  }

  if (password.trim() !== '') {
    const reasons = adminPasswordWeaknesses(password, username);
    if (reasons.length > 0) {
      findings.push(warning(
        'admin_password_weak',
        `ADMIN_PASSWORD is weak: ${reasons.join(', ')}`,
        `use a random password of at least ${MIN_ADMIN_PASSWORD_LENGTH} characters that differs from the user name`,
      ));
    }
  }

  const short = [
    ...(sessionSecret !== '' && sessionSecret.length < MIN_SECRET_LENGTH ? [`SESSION_SECRET (${sessionSecret.length} characters)`] : []),
    ...(jwtSecret !== '' && jwtSecret.length < MIN_SECRET_LENGTH ? [`JWT_SECRET (${jwtSecret.length} characters)`] : []),
  ];
  if (short.length > 0) {
    findings.push(warning(
      'secret_short',
      `${short.join(' and ')} ${short.length > 1 ? 'are' : 'is'} shorter than ${MIN_SECRET_LENGTH} characters`,
      `use at least ${MIN_SECRET_LENGTH} random characters: ${GENERATE_HINT}`,
    ));
  }

  const apiKeys = [text(config, 'DUCKLING_API_KEY'), text(config, 'DUCKLING_API_KEY_PREVIOUS')].filter((key) => key !== '');
  const reused = [
    ...(sessionSecret !== '' && apiKeys.includes(sessionSecret) ? ['SESSION_SECRET'] : []),
    ...(jwtSecret !== '' && apiKeys.includes(jwtSecret) ? ['JWT_SECRET'] : []),
  ];
  if (reused.length > 0) {
    findings.push(warning(
      'secret_reused',
      `${reused.join(' and ')} ${reused.length > 1 ? 'equal' : 'equals'} an API key, so anyone holding the key can forge sessions`,
      `give each secret its own value: ${GENERATE_HINT}`,
    ));
  }

  const lifetime = text(config, 'JWT_EXPIRES_IN');
  if (lifetime !== '' && durationToSeconds(lifetime) > MAX_TOKEN_LIFETIME_SECONDS) {
    findings.push(warning('jwt_lifetime_long', `JWT_EXPIRES_IN=${lifetime} is longer than 7 days`, 'set JWT_EXPIRES_IN to 7d or less (1h is the default), because a stolen token stays valid that long'));
  }
  return findings;
}

function apiKeyFindings(config: Config): Finding[] {
  const findings: Finding[] = [];
  const apiKey = text(config, 'DUCKLING_API_KEY');
  if (apiKey === '') {
    findings.push(warning(
      'api_key_missing',
      'DUCKLING_API_KEY is not set, so only the admin login can use the admin routes',
      `set DUCKLING_API_KEY: ${GENERATE_HINT}`,
    ));
  } else if (apiKey.length < MIN_SECRET_LENGTH) {
    findings.push(warning(
      'api_key_weak',
      `DUCKLING_API_KEY has ${apiKey.length} characters, fewer than ${MIN_SECRET_LENGTH}`,
      `replace it with at least ${MIN_SECRET_LENGTH} random characters: ${GENERATE_HINT}`,
    ));
  }
  if (text(config, 'DUCKLING_API_KEY_PREVIOUS') !== '') {
    findings.push(warning(
      'api_key_previous_set',
      'DUCKLING_API_KEY_PREVIOUS is set, so a second API key is accepted',
      'once every client uses the new DUCKLING_API_KEY, remove DUCKLING_API_KEY_PREVIOUS and restart to finish the rotation',
    ));
  }
  return findings;
}

function networkFindings(config: Config): Finding[] {
  const findings: Finding[] = [];
  const rateLimitEnabled = config.raw.RATE_LIMIT_ENABLED !== false;
  const rateLimitMode = text(config, 'RATE_LIMIT_MODE');
  if (!rateLimitEnabled || rateLimitMode === 'shadow') {
    findings.push(warning(
      'rate_limit_off',
      rateLimitEnabled ? 'RATE_LIMIT_MODE=shadow, so over-limit requests are logged but never rejected' : 'RATE_LIMIT_ENABLED=false, so no request is ever rate limited, including login attempts',
      'set RATE_LIMIT_ENABLED=true and RATE_LIMIT_MODE=enforce',
    ));
  }
  const corsOrigins = (config.raw.CORS_ORIGINS as string[] | undefined) ?? [];
  if (corsOrigins.includes('*')) {
    findings.push(warning(
      'cors_wildcard',
      'CORS_ORIGINS contains "*", so every web page may read public responses (wildcard answers never allow credentials)',
      'list the exact origins that need cross-origin access, e.g. https://app.example.com',
    ));
  }
  if (config.network.trustProxy === true) {
    findings.push(warning(
      'trust_proxy_all',
      'TRUST_PROXY=true trusts X-Forwarded-For from every peer, so any client can choose the address it is rate limited and audited under',
      'set TRUST_PROXY to the proxy hop count (1) or the proxy addresses (e.g. 127.0.0.1)',
    ));
  }
  return findings;
}

function mysqlProtocolFindings(config: Config): Finding[] {
  if (config.raw.MYSQL_PROTOCOL_ENABLED === false) return [];
  const findings: Finding[] = [];
  const apiKey = text(config, 'DUCKLING_API_KEY');
  const ownPassword = text(config, 'MYSQL_PROTOCOL_PASSWORD');
  const effectivePassword = ownPassword !== '' ? ownPassword : apiKey;

  if (effectivePassword === '') {
    findings.push(warning(
      'mysql_protocol_no_password',
      'the MySQL protocol listener is enabled but has no password (neither MYSQL_PROTOCOL_PASSWORD nor DUCKLING_API_KEY is set), so it stays off',
      'set MYSQL_PROTOCOL_PASSWORD, or MYSQL_PROTOCOL_ENABLED=false if no MySQL client connects',
    ));
    return findings;
  }
  if (apiKey !== '' && effectivePassword === apiKey) {
    findings.push(warning(
      'mysql_protocol_password_is_api_key',
      ownPassword === '' ? 'the MySQL protocol password falls back to DUCKLING_API_KEY' : 'MYSQL_PROTOCOL_PASSWORD equals DUCKLING_API_KEY',
      `give the listener its own MYSQL_PROTOCOL_PASSWORD, so that a leaked MySQL client setting does not also grant the API key's admin access; ${GENERATE_HINT}`,
    ));
  }

  const host = text(config, 'MYSQL_PROTOCOL_HOST') || config.host;
  const tls = text(config, 'MYSQL_PROTOCOL_TLS_CERT') !== '' && text(config, 'MYSQL_PROTOCOL_TLS_KEY') !== '';
  if (!isLoopbackHost(host) && !tls) {
    findings.push(warning(
      'mysql_protocol_plaintext',
      `the MySQL protocol listener binds ${host}, which is not a loopback address, without TLS, so passwords and results cross the network in clear text`,
      'set MYSQL_PROTOCOL_TLS_CERT and MYSQL_PROTOCOL_TLS_KEY, or bind MYSQL_PROTOCOL_HOST=127.0.0.1',
    ));
  }
  return findings;
}

/** Computes the findings that depend on `databases.json`, fatal ones first; the server recomputes them after each registry write. */
export function evaluateRegistryFindings(config: Config, registry: RegistrySummary): Finding[] {
  const findings: Finding[] = [];
  if (registry.unreadableSecrets.length > 0) {
    findings.push(fatal(
      'secrets_unreadable',
      `databases.json holds sealed values that neither DUCKLING_SECRETS_KEY nor DUCKLING_SECRETS_KEY_PREVIOUS opens (${registry.unreadableSecrets.join(', ')})`,
      'set DUCKLING_SECRETS_KEY (or DUCKLING_SECRETS_KEY_PREVIOUS) to the key that sealed them, or re-enter those values',
    ));
  }

  const plaintext = registry.sources.filter((source) => source.sslMode.toUpperCase() === 'DISABLED' && !isLoopbackHost(source.host));
  if (plaintext.length > 0) {
    const list = plaintext.map((source) => `${source.databaseId} (${source.host})`).join(', ');
    findings.push(warning(
      'source_plaintext',
      `database ${list} reads a source that is not on a loopback address with ssl-mode=DISABLED, so rows and the source password cross the network in clear text`,
      'add ?ssl-mode=VERIFY_IDENTITY (or REQUIRED) to the connection string',
    ));
  }

  // With the key set, clear values are sealed at the registry's next write, or at once by `duckling rekey`.
  if (registry.holdsSecrets && text(config, 'DUCKLING_SECRETS_KEY') === '') {
    findings.push(warning(
      'secrets_unsealed',
      'databases.json holds passwords or keys and DUCKLING_SECRETS_KEY is not set, so they are stored unencrypted',
      `set DUCKLING_SECRETS_KEY to 64 hex characters; ${GENERATE_HINT}`,
    ));
  }
  return findings;
}

/** True for a value copied from a sample rather than generated. */
export function isPlaceholder(secret: string): boolean {
  const lower = secret.trim().toLowerCase();
  if (PLACEHOLDER_SECRETS.has(lower)) return true;
  if (PLACEHOLDER_FRAGMENTS.some((fragment) => lower.includes(fragment))) return true;
  return new Set(lower).size === 1;
}

function adminPasswordWeaknesses(password: string, username: string): string[] {
  const reasons: string[] = [];
  if (password.length < MIN_ADMIN_PASSWORD_LENGTH) reasons.push(`${password.length} characters, fewer than ${MIN_ADMIN_PASSWORD_LENGTH}`);
  if (COMMON_PASSWORDS.has(password.trim().toLowerCase())) reasons.push('a common default');
  if (username.trim() !== '' && password.trim().toLowerCase() === username.trim().toLowerCase()) reasons.push('equal to ADMIN_USERNAME');
  return reasons;
}

/** True for `localhost` and the IPv4 and IPv6 loopback addresses. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare === '::1') return true;
  const ipv4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(ipv4);
}

function text(config: Config, name: string): string {
  const value = config.raw[name];
  return typeof value === 'string' ? value : '';
}

function fatal(id: FindingId, message: string, remedy: string): Finding {
  return { id, severity: 'fatal', message, remedy };
}

function warning(id: FindingId, message: string, remedy: string): Finding {
  return { id, severity: 'warning', message, remedy };
}

/** Returns the findings with the fatal ones first, keeping the order within each severity. */
export function sortBySeverity(findings: readonly Finding[]): Finding[] {
  return [...findings.filter((finding) => finding.severity === 'fatal'), ...findings.filter((finding) => finding.severity === 'warning')];
}
