import { mkdir, readdir, readFile, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { DucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { writeFileAtomic } from '../registry/index.js';
import type { BackupListEntry } from './listing.js';
import { parseManifest, type BackupManifest } from './manifest.js';
import { backupNamePattern, checkBackupName, imageFileName, MANIFEST_FILE_NAME, parseBackupName } from './names.js';

/** Incomplete backup directories (no manifest) are removed once they are this old. */
const INCOMPLETE_MAX_AGE_MS = 24 * 60 * 60 * 1000;

/** A local backup directory: `BACKUP_PATH/backup-<id>-<timestamp>/`. */
export interface LocalBackupLocation {
  name: string;
  databaseId: string;
  directory: string;
  imagePath: string;
  manifestPath: string;
}

/**
 * Local backups under `BACKUP_PATH`: one directory per backup holding `duckling-<id>.db` and
 * `manifest.json`. The manifest is written last, so a directory without one is incomplete.
 */
export class LocalBackupStore {
  /**
   * Backups whose unreadable manifest was already logged, so that each listing does not log it
   * again. A name leaves the set once its manifest reads again or the backup is removed.
   */
  private readonly unreadableManifests = new Set<string>();

  constructor(
    readonly root: string,
    private readonly logger: Logger,
  ) {}

  /** The location of a new backup; creates its directory, which must not exist yet. */
  async prepare(name: string): Promise<LocalBackupLocation> {
    const location = this.locate(name);
    await mkdir(this.root, { recursive: true });
    await mkdir(location.directory);
    return location;
  }

  /** Writes the manifest, which marks the backup complete. */
  async writeManifest(location: LocalBackupLocation, manifest: BackupManifest): Promise<void> {
    await writeFileAtomic(location.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  }

  /** Removes a backup directory and everything in it. */
  async remove(location: LocalBackupLocation): Promise<void> {
    await rm(location.directory, { recursive: true, force: true });
    this.unreadableManifests.delete(location.name);
  }

  /**
   * Resolves a backup name from a request. Throws 400 DUCKLING_INVALID_IDENTIFIER for a name that
   * breaks the naming rule and 404 DUCKLING_BACKUP_NOT_FOUND when its directory does not exist.
   */
  async find(databaseId: string, name: string): Promise<LocalBackupLocation> {
    checkBackupName(name, this.root);
    const location = this.locate(name);
    const exists = await stat(location.directory).then((info) => info.isDirectory(), () => false);
    if (!exists) {
      throw new DucklingError('DUCKLING_BACKUP_NOT_FOUND', { name, db: databaseId, hint: '; GET /api/backups lists the backups' });
    }
    return location;
  }

  /** Reads and parses a backup's manifest; throws an Error saying why it cannot be used. */
  async readManifest(location: LocalBackupLocation): Promise<BackupManifest> {
    let text: string;
    try {
      text = await readFile(location.manifestPath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new Error(`${location.name} has no ${MANIFEST_FILE_NAME}, so the backup is incomplete`);
      throw error;
    }
    return parseManifest(text);
  }

  /** Lists the backups of one database, newest first. */
  async list(databaseId: string): Promise<BackupListEntry[]> {
    const entries: BackupListEntry[] = [];
    for (const name of await this.names(databaseId)) entries.push(await this.describe(this.locate(name)));
    return entries;
  }

  /** Returns the newest complete backup of a database, or null. */
  async newestComplete(databaseId: string): Promise<BackupListEntry | null> {
    return (await this.list(databaseId)).find((entry) => entry.status === 'complete') ?? null;
  }

  /**
   * Deletes the database's complete backups older than `retentionDays`, always keeping the newest
   * complete one, and incomplete directories older than a day. Only names of exactly this
   * database match. Invalid backups are kept for inspection. Returns the names removed.
   */
  async applyRetention(databaseId: string, retentionDays: number, now: Date): Promise<string[]> {
    const cutoffMs = now.getTime() - retentionDays * 24 * 60 * 60 * 1000;
    const entries = await this.list(databaseId);
    const newestComplete = entries.find((entry) => entry.status === 'complete');
    const removed: string[] = [];
    for (const entry of entries) {
      const createdAtMs = parseBackupName(entry.name)!.createdAt.getTime();
      const expired =
        (entry.status === 'complete' && entry !== newestComplete && createdAtMs < cutoffMs) ||
        (entry.status === 'incomplete' && createdAtMs < now.getTime() - INCOMPLETE_MAX_AGE_MS);
      if (!expired) continue;
      await this.remove(this.locate(entry.name));
      removed.push(entry.name);
      this.logger.info({ databaseId, backup: entry.name, status: entry.status }, entry.status === 'complete' ? 'expired backup removed' : 'incomplete backup removed');
    }
    return removed;
  }

  private locate(name: string): LocalBackupLocation {
    const parsed = parseBackupName(name);
    if (parsed === null) throw new Error(`"${name}" is not a backup name`);
    const directory = path.join(this.root, name);
    return {
      name,
      databaseId: parsed.databaseId,
      directory,
      imagePath: path.join(directory, imageFileName(parsed.databaseId)),
      manifestPath: path.join(directory, MANIFEST_FILE_NAME),
    };
  }

  /** Directory names of the database's backups, newest first. */
  private async names(databaseId: string): Promise<string[]> {
    const pattern = backupNamePattern(databaseId);
    const entries = await readdir(this.root, { withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    return entries
      .filter((entry) => entry.isDirectory() && pattern.test(entry.name))
      .map((entry) => entry.name)
      .sort()
      .reverse();
  }

  private async describe(location: LocalBackupLocation): Promise<BackupListEntry> {
    const image = await stat(location.imagePath).catch(() => null);
    const entry: BackupListEntry = {
      name: location.name,
      location: 'local',
      key: path.relative(this.root, location.imagePath),
      size: image?.size ?? 0,
      lastModified: (image?.mtime ?? parseBackupName(location.name)!.createdAt).toISOString(),
      status: 'incomplete',
      encryption: 'none',
    };
    const hasManifest = await stat(location.manifestPath).then(() => true, () => false);
    if (!hasManifest) return entry;
    try {
      const manifest = await this.readManifest(location);
      entry.manifest = manifest;
      entry.status = image !== null && image.size === manifest.object.size && manifest.databaseId === location.databaseId ? 'complete' : 'invalid';
      this.unreadableManifests.delete(location.name);
    } catch (error) {
      if (!this.unreadableManifests.has(location.name)) {
        this.unreadableManifests.add(location.name);
        this.logger.warn({ err: error, databaseId: location.databaseId, backup: location.name }, 'backup manifest cannot be read');
      }
      entry.status = 'invalid';
    }
    return entry;
  }
}
