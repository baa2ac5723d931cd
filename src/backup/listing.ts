import type { BackupManifest } from './manifest.js';

/** One entry of `GET /api/backups`. */
export interface BackupListEntry {
  /** `backup-<id>-<timestamp>`. */
  name: string;
  location: 'local' | 's3';
  /** Local: the image path relative to BACKUP_PATH. S3: the data object's key. */
  key: string;
  /** Bytes of the image file or data object. */
  size: number;
  /** ISO-8601 modification time of the image file or data object. */
  lastModified: string;
  /**
   * `complete` when the manifest exists and the size matches it. `incomplete` when there is no
   * manifest (an interrupted backup or upload). `invalid` when the manifest cannot be read, its
   * size differs or its MAC fails.
   */
  status: 'complete' | 'incomplete' | 'invalid';
  /** `none` for local backups; for S3 the mode the manifest records. */
  encryption: string;
  keyFingerprint?: string;
  manifest?: BackupManifest;
}

/**
 * Lists the backups of one database at one location. The S3 side registers one through
 * `BackupService.addListingSource`; its errors pass to the caller unchanged (502 for an
 * unreachable store).
 */
export interface BackupListingSource {
  readonly location: 's3';
  list(databaseId: string): Promise<BackupListEntry[]>;
}

/** Merges listings of several locations, newest first (by name time, then location). */
export function mergeListings(listings: readonly BackupListEntry[][]): BackupListEntry[] {
  return listings.flat().sort((a, b) => {
    const byName = b.name.localeCompare(a.name);
    if (byName !== 0) return byName;
    return a.location.localeCompare(b.location);
  });
}
