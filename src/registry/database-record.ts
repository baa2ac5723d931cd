/**
 * One entry of `DATA_PATH/databases.json` and its validation. Fields this version does not use
 * (`apiKeys`, further `sync` options) are kept as read, so a rewrite never loses them.
 */
import { findOverlappingPrefixes, validateS3Settings, type S3Settings } from './s3-settings.js';

export interface DatabaseSyncSettings {
  /** Exact, case-sensitive source table names never synced or listed, on top of `EXCLUDED_TABLES`. */
  excludedTables?: string[];
  /** Table name to the column incremental sync uses as its watermark. */
  watermarkColumns?: Record<string, string>;
  /** Tables read in id (insert-only) mode. */
  appendOnlyTables?: string[];
  /** Re-read window behind each watermark in seconds; overrides INCREMENTAL_LOOKBACK_SECONDS. */
  lookbackSeconds?: number;
  [setting: string]: unknown;
}

export interface DatabaseRecord {
  /** Immutable id, `^[a-z0-9_]{1,64}$`. */
  id: string;
  name: string;
  mysqlConnectionString: string;
  /** Replica file name, a bare name directly in `DATA_PATH`. */
  duckdbPath: string;
  /** ISO-8601. */
  createdAt: string;
  /** ISO-8601. */
  updatedAt: string;
  sync?: DatabaseSyncSettings;
  /** S3 backup target; secrets in clear in memory. */
  s3?: S3Settings;
  [field: string]: unknown;
}

export const DATABASE_ID_PATTERN = /^[a-z0-9_]{1,64}$/;

/**
 * Checks the parsed registry and returns one message per problem (empty when valid). Messages
 * name the record by index and id, the field, the value and the accepted form.
 */
export function validateRecords(value: unknown): string[] {
  if (!Array.isArray(value)) {
    return [`databases.json must contain a JSON array of database records, found ${describeType(value)}`];
  }

  const problems: string[] = [];
  const ids = new Map<string, number>();
  const files = new Map<string, number>();
  value.forEach((entry: unknown, index) => {
    problems.push(...validateRecord(entry, index));
    if (!isObject(entry)) return;

    if (typeof entry.id === 'string') {
      const first = ids.get(entry.id);
      if (first !== undefined) problems.push(`${label(entry, index)}: id "${entry.id}" is already used by record ${first}; ids must be unique`);
      else ids.set(entry.id, index);
    }
    if (typeof entry.duckdbPath === 'string') {
      const first = files.get(entry.duckdbPath);
      if (first !== undefined) problems.push(`${label(entry, index)}: duckdbPath "${entry.duckdbPath}" is already used by record ${first}; every database needs its own replica file`);
      else files.set(entry.duckdbPath, index);
    }
  });
  problems.push(...findOverlappingPrefixes(value.filter(isObject).map((entry) => ({ id: String(entry.id), s3: entry.s3 }))));
  return problems;
}

function validateRecord(entry: unknown, index: number): string[] {
  if (!isObject(entry)) return [`record ${index}: must be a JSON object, found ${describeType(entry)}`];

  const where = label(entry, index);
  const problems: string[] = [];
  if (typeof entry.id !== 'string' || !DATABASE_ID_PATTERN.test(entry.id)) {
    problems.push(`${where}: id ${JSON.stringify(entry.id)} is invalid; use 1-64 characters from a-z, 0-9 and _`);
  }
  if (typeof entry.name !== 'string' || entry.name.trim() === '') {
    problems.push(`${where}: name ${JSON.stringify(entry.name)} is invalid; give a non-empty display name`);
  }
  if (typeof entry.mysqlConnectionString !== 'string') {
    problems.push(`${where}: mysqlConnectionString is missing; give the source URL mysql://user:password@host:port/schema`);
  }
  problems.push(...validateReplicaFileName(entry.duckdbPath, where));
  for (const field of ['createdAt', 'updatedAt'] as const) {
    const stamp = entry[field];
    if (typeof stamp !== 'string' || Number.isNaN(Date.parse(stamp))) {
      problems.push(`${where}: ${field} ${JSON.stringify(stamp)} is invalid; give an ISO-8601 timestamp such as 2026-01-31T12:00:00.000Z`);
    }
  }
  problems.push(...validateSyncSettings(entry.sync, where));
  problems.push(...validateS3Settings(entry.s3, where));
  return problems;
}

function validateReplicaFileName(value: unknown, where: string): string[] {
  const isBareName =
    typeof value === 'string' && value !== '' && value !== '.' && value !== '..' && !/[/\\\0]/.test(value);
  if (isBareName) return [];
  return [`${where}: duckdbPath ${JSON.stringify(value)} is invalid; give a bare file name such as duckling.db, which resolves inside DATA_PATH`];
}

function validateSyncSettings(value: unknown, where: string): string[] {
  if (value === undefined) return [];
  if (!isObject(value)) return [`${where}: sync must be an object, found ${describeType(value)}`];

  const problems: string[] = [];
  for (const field of ['excludedTables', 'appendOnlyTables'] as const) {
    const names = value[field];
    if (names !== undefined && (!Array.isArray(names) || !names.every((name) => typeof name === 'string'))) {
      problems.push(`${where}: sync.${field} must be an array of table names, found ${JSON.stringify(names)}`);
    }
  }

  const columns = value.watermarkColumns;
  if (columns !== undefined && (!isObject(columns) || !Object.values(columns).every((column) => typeof column === 'string'))) {
    problems.push(`${where}: sync.watermarkColumns must map table names to column names, found ${JSON.stringify(columns)}`);
  }

  const lookback = value.lookbackSeconds;
  if (lookback !== undefined && !(typeof lookback === 'number' && Number.isInteger(lookback) && lookback >= 0)) {
    problems.push(`${where}: sync.lookbackSeconds must be a whole number of seconds, 0 or more, found ${JSON.stringify(lookback)}`);
  }
  return problems;
}

function label(entry: Record<string, unknown>, index: number): string {
  return typeof entry.id === 'string' ? `record ${index} (id "${entry.id}")` : `record ${index}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}
