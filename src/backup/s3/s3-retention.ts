import type { Logger } from '../../logging/index.js';
import type { S3Settings } from '../../registry/index.js';
import { manifestObjectKey } from './object-keys.js';
import { collectBackupObjects } from './s3-catalog.js';
import type { S3ObjectStore } from './s3-object-store.js';

const DAY_MS = 24 * 60 * 60 * 1000;
/** Data objects without a manifest and unfinished multipart uploads are removed once they are this old. */
export const INCOMPLETE_MAX_AGE_MS = DAY_MS;

export interface RetentionResult {
  /** Names of complete backups deleted because they passed `s3BackupRetentionDays`. */
  expired: string[];
  /** Keys of data objects deleted because they had no manifest for a day. */
  incomplete: string[];
  /** Keys of multipart uploads aborted; null when the store cannot list them. */
  abortedUploads: string[] | null;
}

/**
 * Applies retention to one database's prefix. Complete backups (data object and manifest) older
 * than `s3BackupRetentionDays` are deleted, except the newest complete one. The manifest goes
 * first, so a partial deletion leaves an incomplete backup rather than a manifest without data.
 * Data objects without a manifest and multipart uploads older than a day are removed too.
 */
export async function applyS3Retention(options: { store: S3ObjectStore; settings: S3Settings; databaseId: string; now: Date; logger: Logger }): Promise<RetentionResult> {
  const { store, settings, databaseId, now, logger } = options;
  const backups = await collectBackupObjects(store, settings, databaseId);
  const result: RetentionResult = { expired: [], incomplete: [], abortedUploads: null };

  const complete = backups.filter((backup) => backup.data && backup.manifest);
  const retentionDays = settings.s3BackupRetentionDays;
  if (retentionDays !== undefined) {
    const cutoff = now.getTime() - retentionDays * DAY_MS;
    // `complete` is newest first, so index 0 is the backup that always stays.
    for (const backup of complete.slice(1)) {
      if (backup.createdAt.getTime() >= cutoff) continue;
      await store.delete(manifestObjectKey(settings.pathPrefix, backup.name));
      await store.delete(backup.data!.key);
      result.expired.push(backup.name);
    }
  }

  for (const backup of backups) {
    if (!backup.data || backup.manifest) continue;
    if (now.getTime() - backup.data.lastModified.getTime() < INCOMPLETE_MAX_AGE_MS) continue;
    await store.delete(backup.data.key);
    result.incomplete.push(backup.data.key);
  }

  result.abortedUploads = await store.abortStaleMultipartUploads(settings.pathPrefix, new Date(now.getTime() - INCOMPLETE_MAX_AGE_MS));

  if (result.expired.length > 0) logger.info({ databaseId, backups: result.expired, retentionDays }, 's3 retention deleted expired backups');
  if (result.incomplete.length > 0) logger.warn({ databaseId, objectKeys: result.incomplete }, 's3 retention deleted data objects left without a manifest for a day');
  if (result.abortedUploads && result.abortedUploads.length > 0) logger.warn({ databaseId, objectKeys: result.abortedUploads }, 's3 retention aborted multipart uploads older than a day');
  return result;
}
