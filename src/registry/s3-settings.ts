/**
 * The `s3` block of a database record: where its backups go and how they are encrypted, and the
 * checks applied to it on load and on every change.
 */
import { isHexKey } from '../backup/encryption/keys.js';

export const S3_ENCRYPTION_MODES = ['none', 'sse-s3', 'sse-kms', 'client-aes256'] as const;
export type S3EncryptionMode = (typeof S3_ENCRYPTION_MODES)[number];

/** A replaced `client-aes256` key, kept so that older backups still decrypt. */
export interface RetiredEncryptionKey {
  /** 16 hex characters, as in backup headers and manifests. */
  fingerprint: string;
  /** 64 hex characters. */
  key: string;
  /** ISO-8601 time the key became the current key. */
  addedAt: string;
  /** ISO-8601 time it was replaced. */
  retiredAt: string;
}

/** The `s3` block with secrets in clear, as held in memory; on disk they may be sealed. */
export interface S3Settings {
  enabled: boolean;
  bucket: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** URL of an S3-compatible store (MinIO, s3rver…); absent for AWS S3. */
  endpoint?: string;
  /** Address buckets as `<endpoint>/<bucket>` instead of `<bucket>.<endpoint>`. */
  forcePathStyle?: boolean;
  /** Key prefix of this database's objects, ending in `/`; default `<id>/`. */
  pathPrefix: string;
  encryption: S3EncryptionMode;
  kmsKeyId?: string;
  /** Current `client-aes256` master key, 64 hex characters. */
  encryptionKey?: string;
  /** ISO-8601 time `encryptionKey` was set; becomes `addedAt` in the keyring when it is replaced. */
  encryptionKeySetAt?: string;
  keyring?: RetiredEncryptionKey[];
  /** Days to keep complete S3 backups; absent keeps them all. */
  s3BackupRetentionDays?: number;
}

const BUCKET_PATTERN = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const REGION_PATTERN = /^[a-z0-9-]{1,64}$/;
const FINGERPRINT_PATTERN = /^[0-9a-f]{16}$/;
const MAX_PREFIX_LENGTH = 512;

/**
 * Checks one record's `s3` block and returns one message per problem (empty when valid). Messages
 * name the field and the accepted form; they never repeat a secret's value.
 */
export function validateS3Settings(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [`${where}: s3 must be an object, found ${describeType(value)}`];

  const problems: string[] = [];
  const problem = (field: string, message: string) => problems.push(`${where}: s3.${field} ${message}`);

  if (typeof value.enabled !== 'boolean') problem('enabled', `must be true or false, found ${JSON.stringify(value.enabled)}`);
  if (typeof value.bucket !== 'string' || !BUCKET_PATTERN.test(value.bucket)) {
    problem('bucket', `${JSON.stringify(value.bucket)} is invalid; give an S3 bucket name of 3-63 characters from a-z, 0-9, . and -`);
  }
  if (typeof value.region !== 'string' || !REGION_PATTERN.test(value.region)) {
    problem('region', `${JSON.stringify(value.region)} is invalid; give a region such as us-east-1`);
  }
  if (typeof value.accessKeyId !== 'string' || value.accessKeyId.trim() === '') problem('accessKeyId', 'is missing; give the access key id of the bucket\'s credentials');
  if (typeof value.secretAccessKey !== 'string' || value.secretAccessKey === '') problem('secretAccessKey', 'is missing; give the secret access key on the first save');
  if (value.endpoint !== undefined && hasUrlCredentials(value.endpoint)) {
    // The URL is left out of this message because it contains a password.
    problem('endpoint', 'must not contain a user name or password; put the credentials in accessKeyId and secretAccessKey');
  } else if (value.endpoint !== undefined && !isHttpUrl(value.endpoint)) {
    problem('endpoint', `${JSON.stringify(value.endpoint)} is invalid; give the http:// or https:// URL of the S3-compatible store, or leave it out for AWS S3`);
  }
  if (value.forcePathStyle !== undefined && typeof value.forcePathStyle !== 'boolean') problem('forcePathStyle', `must be true or false, found ${JSON.stringify(value.forcePathStyle)}`);
  problems.push(...validatePathPrefix(value.pathPrefix, where));
  problems.push(...validateEncryption(value, where));

  const retention = value.s3BackupRetentionDays;
  if (retention !== undefined && !(typeof retention === 'number' && Number.isInteger(retention) && retention >= 1)) {
    problem('s3BackupRetentionDays', `must be a whole number of days, 1 or more, found ${JSON.stringify(retention)}; leave it out to keep every backup`);
  }
  return problems;
}

function validatePathPrefix(prefix: unknown, where: string): string[] {
  const invalid =
    typeof prefix !== 'string' ||
    prefix.length < 2 ||
    prefix.length > MAX_PREFIX_LENGTH ||
    !prefix.endsWith('/') ||
    prefix.startsWith('/') ||
    prefix.split('/').some((segment, index, all) => (segment === '' && index < all.length - 1) || segment === '.' || segment === '..') ||
    /[\u0000-\u001f\u007f\\]/.test(prefix);
  if (!invalid) return [];
  return [
    `${where}: s3.pathPrefix ${JSON.stringify(prefix)} is invalid; give a key prefix such as "shop/" or "backups/shop/": 2-${MAX_PREFIX_LENGTH} characters ending in /, with no leading /, empty, . or .. segments, backslashes or control characters`,
  ];
}

function validateEncryption(value: Record<string, unknown>, where: string): string[] {
  const problems: string[] = [];
  const mode = value.encryption;
  if (typeof mode !== 'string' || !(S3_ENCRYPTION_MODES as readonly string[]).includes(mode)) {
    problems.push(`${where}: s3.encryption ${JSON.stringify(mode)} is invalid; use one of ${S3_ENCRYPTION_MODES.join(', ')}`);
  }
  if (value.kmsKeyId !== undefined && (typeof value.kmsKeyId !== 'string' || value.kmsKeyId.trim() === '')) {
    problems.push(`${where}: s3.kmsKeyId must be a non-empty key id, alias or ARN`);
  }
  if (mode === 'sse-kms' && value.kmsKeyId === undefined) {
    problems.push(`${where}: s3.kmsKeyId is missing; encryption sse-kms needs the KMS key id, alias or ARN`);
  }
  if (value.encryptionKey !== undefined && !isHexKey(value.encryptionKey)) {
    problems.push(`${where}: s3.encryptionKey is invalid; give 64 hexadecimal characters (32 bytes), for example from "duckling gen-key"`);
  }
  if (mode === 'client-aes256' && value.encryptionKey === undefined) {
    problems.push(`${where}: s3.encryptionKey is missing; encryption client-aes256 needs a 64-hex key, for example from "duckling gen-key"`);
  }

  const keyring = value.keyring;
  if (keyring !== undefined) {
    if (!Array.isArray(keyring)) {
      problems.push(`${where}: s3.keyring must be an array of retired keys, found ${describeType(keyring)}`);
    } else {
      keyring.forEach((entry: unknown, index) => {
        const valid =
          isObject(entry) &&
          typeof entry.fingerprint === 'string' &&
          FINGERPRINT_PATTERN.test(entry.fingerprint) &&
          isHexKey(entry.key) &&
          isTimestamp(entry.addedAt) &&
          isTimestamp(entry.retiredAt);
        if (!valid) problems.push(`${where}: s3.keyring[${index}] is invalid; each entry needs fingerprint (16 hex), key (64 hex), addedAt and retiredAt (ISO-8601)`);
      });
    }
  }
  return problems;
}

/**
 * Finds databases whose backups would share keys: two `s3` blocks on the same bucket and endpoint
 * where one `pathPrefix` equals the other or starts with it. Returns one message per pair.
 */
export function findOverlappingPrefixes(records: ReadonlyArray<{ id: string; s3?: unknown }>): string[] {
  const located = records.flatMap((record) => {
    const s3 = record.s3;
    if (!isObject(s3) || typeof s3.bucket !== 'string' || typeof s3.pathPrefix !== 'string') return [];
    const endpoint = typeof s3.endpoint === 'string' ? normalizeEndpoint(s3.endpoint) : 'aws';
    return [{ id: record.id, bucket: s3.bucket, endpoint, prefix: s3.pathPrefix }];
  });

  const problems: string[] = [];
  for (let first = 0; first < located.length; first += 1) {
    for (let second = first + 1; second < located.length; second += 1) {
      const a = located[first]!;
      const b = located[second]!;
      if (a.bucket !== b.bucket || a.endpoint !== b.endpoint) continue;
      if (a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix)) {
        problems.push(
          `s3.pathPrefix "${a.prefix}" of database "${a.id}" and "${b.prefix}" of database "${b.id}" overlap in bucket ${a.bucket}; give each database a prefix that is neither equal to nor inside another's`,
        );
      }
    }
  }
  return problems;
}

function normalizeEndpoint(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`.toLowerCase();
  } catch {
    return endpoint.toLowerCase();
  }
}

/** True when `value` parses as a URL with a user name or password, or has `user:password@` before its host. */
function hasUrlCredentials(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    if (url.username !== '' || url.password !== '') return true;
  } catch {
    // An unparsable URL can still carry a password, so the text is checked below.
  }
  return /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value);
}

function isHttpUrl(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}

function isTimestamp(value: unknown): boolean {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
