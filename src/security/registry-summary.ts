import type { DatabaseRecord } from '../registry/index.js';
import type { RegistrySummary, SourceSummary } from './findings.js';

/** Prefix of a value sealed under `DUCKLING_SECRETS_KEY` in `databases.json`. */
const SEALED_PREFIX = 'enc:v1:';

/** S3 fields of a record that contain secrets. */
const S3_SECRET_FIELDS = ['secretAccessKey', 'encryptionKey', 'keyring'] as const;

/**
 * Summarises the registry for the startup checks: each source's host and TLS mode, and whether any
 * record contains a secret. A connection string that does not parse is left out, because the database
 * manager reports it as the database's `source_error`.
 */
export function summarizeRegistry(records: readonly DatabaseRecord[]): RegistrySummary {
  const sources: SourceSummary[] = [];
  let holdsSecrets = false;
  for (const record of records) {
    const connection = readConnection(record.mysqlConnectionString);
    if (connection) {
      sources.push({ databaseId: record.id, host: connection.host, sslMode: connection.sslMode });
      holdsSecrets ||= connection.hasPassword;
    }
    holdsSecrets ||= holdsS3Secret(record.s3);
  }
  // The registry opens sealed values when it loads and fails loading (`secrets_unreadable`) on one
  // that neither secrets key opens, so the records summarised here never hold an unreadable value.
  return { sources, holdsSecrets, unreadableSecrets: [] };
}

function readConnection(connectionString: string): { host: string; sslMode: string; hasPassword: boolean } | null {
  if (connectionString.startsWith(SEALED_PREFIX)) return null;
  let url: URL;
  try {
    url = new URL(connectionString.trim());
  } catch {
    return null;
  }
  if (url.protocol !== 'mysql:') return null;

  // `ssl=true` means VERIFY_IDENTITY, as in the connection-string parser.
  const ssl = url.searchParams.get('ssl');
  const sslMode = url.searchParams.get('ssl-mode') ?? (ssl === 'true' ? 'VERIFY_IDENTITY' : 'DISABLED');
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), sslMode, hasPassword: url.password !== '' };
}

function holdsS3Secret(s3: unknown): boolean {
  if (!s3 || typeof s3 !== 'object') return false;
  const record = s3 as Record<string, unknown>;
  return S3_SECRET_FIELDS.some((field) => {
    const value = record[field];
    return Array.isArray(value) ? value.length > 0 : typeof value === 'string' && value !== '';
  });
}
