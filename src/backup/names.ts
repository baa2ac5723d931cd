import path from 'node:path';
import { DucklingError } from '../errors/index.js';

/** UTC ISO-8601 with `:` and `.` replaced by `-`, e.g. `2026-12-04T23-48-50-123Z`. */
const TIMESTAMP_PATTERN = '\\d{4}-\\d{2}-\\d{2}T\\d{2}-\\d{2}-\\d{2}-\\d{3}Z';

/** Formats a time as it appears in backup and `.pre-restore-*` file names. */
export function fileTimestamp(at: Date): string {
  return at.toISOString().replace(/[:.]/g, '-');
}

/** Parses a file-name timestamp back into a Date; null when it does not have that form. */
export function parseFileTimestamp(text: string): Date | null {
  const match = new RegExp(`^(\\d{4}-\\d{2}-\\d{2})T(\\d{2})-(\\d{2})-(\\d{2})-(\\d{3})Z$`).exec(text);
  if (!match) return null;
  const date = new Date(`${match[1]}T${match[2]}:${match[3]}:${match[4]}.${match[5]}Z`);
  return Number.isNaN(date.getTime()) ? null : date;
}

/** `backup-<id>-<timestamp>`: the name of one backup, local directory or S3 object stem. */
export function backupName(databaseId: string, at: Date): string {
  return `backup-${databaseId}-${fileTimestamp(at)}`;
}

/**
 * Matches exactly the backup names of one database. Database ids contain no `-`, so `shop`
 * never matches a backup of `shop_eu`.
 */
export function backupNamePattern(databaseId: string): RegExp {
  return new RegExp(`^backup-${databaseId}-(${TIMESTAMP_PATTERN})$`);
}

/** Any database's backup name; group 1 is the database id, group 2 the timestamp. */
const ANY_BACKUP_NAME = new RegExp(`^backup-([a-z0-9_]{1,64})-(${TIMESTAMP_PATTERN})$`);

/** Parses the database id and creation time out of a backup name; null when the text is no backup name. */
export function parseBackupName(name: string): { databaseId: string; createdAt: Date } | null {
  const match = ANY_BACKUP_NAME.exec(name);
  if (!match) return null;
  const createdAt = parseFileTimestamp(match[2]!);
  return createdAt === null ? null : { databaseId: match[1]!, createdAt };
}

/**
 * Checks a backup name from a request: it must have the form `backup-<id>-<timestamp>` and resolve
 * to a directory directly inside `backupRoot`. Throws 400 DUCKLING_INVALID_IDENTIFIER otherwise.
 * Another database's name passes here, so the verification can report it as such.
 */
export function checkBackupName(name: string, backupRoot: string): { databaseId: string; createdAt: Date; directory: string } {
  const parsed = parseBackupName(name);
  if (parsed === null) {
    throw new DucklingError('DUCKLING_INVALID_IDENTIFIER', {
      kind: 'backup name',
      value: name.slice(0, 200),
      reason: 'expected backup-<database id>-<UTC time as YYYY-MM-DDTHH-MM-SS-mmmZ>; GET /api/backups lists the names',
    });
  }
  const root = path.resolve(backupRoot);
  const directory = path.resolve(root, name);
  if (path.dirname(directory) !== root) {
    throw new DucklingError('DUCKLING_INVALID_IDENTIFIER', { kind: 'backup name', value: name, reason: 'it does not resolve inside BACKUP_PATH' });
  }
  return { ...parsed, directory };
}

/** File name of the database image inside a local backup directory. */
export function imageFileName(databaseId: string): string {
  return `duckling-${databaseId}.db`;
}

export const MANIFEST_FILE_NAME = 'manifest.json';
