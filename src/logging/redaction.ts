/**
 * Redaction shared by the logs, the log ring, audit events and Sentry events: secret fields and
 * headers become `***`, and URL passwords and credential query parameters are
 * masked inside any text.
 */
import pino from 'pino';

/** Placeholder written in place of a secret. */
export const REDACTED = '***';

/** Field and header names whose values are secrets, lower-cased; matched ignoring case. */
export const SECRET_FIELD_NAMES: ReadonlySet<string> = new Set([
  'password',
  'token',
  'apikey',
  'api_key',
  'key',
  'ticket',
  'secretaccesskey',
  'encryptionkey',
  'keyring',
  'connectionstring',
  'mysqlconnectionstring',
  'authorization',
  'cookie',
  'cookies',
  'set-cookie',
  'x-api-key',
]);

/** Name endings that mark a secret too: `adminPassword`, `SESSION_SECRET`, `accessToken`, `DUCKLING_API_KEY`. */
const SECRET_NAME_SUFFIX = /(password|secret|token|api_?key|secrets_?key)$/i;

/** The password of `scheme://user:password@host` in any URL: mysql://, http://, redis:// and others. */
const CONNECTION_PASSWORD = /(\b[a-z][a-z0-9+.-]*:\/\/[^:/@\s]*:)[^@\s]*@/gi;
/** `name=value` credentials in query strings (with or without the `?`) and in free text; names match ignoring case. */
const CREDENTIAL_PARAMETER = /((?:^|[?&\s])(?:token|access_token|apiKey|api_key|key|password|secret|ticket)=)[^&\s#]*/gi;

/** Objects nested deeper than this are replaced by a marker instead of being walked. */
const MAX_DEPTH = 10;

/** Masks URL passwords (`scheme://user:***@host`) and `password=`, `token=`, `access_token=`, `key=` or `ticket=` values inside free text. */
export function redactText(text: string): string {
  return text.replace(CONNECTION_PASSWORD, `$1${REDACTED}@`).replace(CREDENTIAL_PARAMETER, `$1${REDACTED}`);
}

/** True when a field or header of this name contains a secret. */
export function isSecretFieldName(name: string): boolean {
  return SECRET_FIELD_NAMES.has(name.toLowerCase()) || SECRET_NAME_SUFFIX.test(name);
}

/**
 * Masks secrets and text patterns, plus, when given, exact secret values such as the configured
 * API key, which could otherwise appear in free text.
 */
export class Redactor {
  private readonly secretValues: string[];

  /** `secretValues` shorter than 8 characters are ignored, because masking them would mangle ordinary text. */
  constructor(secretValues: readonly (string | null | undefined)[] = []) {
    const usable = secretValues.filter((value): value is string => typeof value === 'string' && value.length >= 8);
    // Longest values first, so a value that contains another is masked whole.
    this.secretValues = [...new Set(usable)].sort((left, right) => right.length - left.length);
  }

  text(text: string): string {
    let masked = redactText(text);
    for (const secret of this.secretValues) masked = masked.split(secret).join(REDACTED);
    return masked;
  }

  /**
   * Returns a copy of `value` with every secret field masked and every string passed through
   * `text`, at any depth of plain objects and arrays. Errors become pino's serialized form with a
   * masked message and stack, and other class instances are returned unchanged.
   */
  value(value: unknown): unknown {
    return this.walk(value, 0, new WeakSet());
  }

  private walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof value === 'string') return this.text(value);
    if (!value || typeof value !== 'object') return value;
    if (depth >= MAX_DEPTH) return '[nested too deep]';
    if (seen.has(value)) return '[circular]';
    seen.add(value);

    // pino's serialized error has its own prototype, so it is spread into a plain object first.
    if (value instanceof Error) return this.walk({ ...pino.stdSerializers.err(value) }, depth, seen);
    if (Array.isArray(value)) return value.map((item) => this.walk(item, depth + 1, seen));
    // Class instances such as Fastify's request and reply are left to their pino serializers, whose
    // output the logger's redact paths cover. Copying them would walk sockets and servers.
    const prototype = Object.getPrototypeOf(value) as unknown;
    if (prototype !== Object.prototype && prototype !== null) return value;

    const copy: Record<string, unknown> = {};
    for (const [name, field] of Object.entries(value)) {
      copy[name] = isSecretFieldName(name) && field !== null && field !== undefined ? REDACTED : this.walk(field, depth + 1, seen);
    }
    return copy;
  }
}
