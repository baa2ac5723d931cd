import { constants } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { SYSTEM_ACTOR, type AuditActor, type AuditEventInput } from '../audit/index.js';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { Replica } from '../replica/index.js';
import type { SourceIdentity } from '../source/index.js';
import { DatabaseOperationGuard } from './guard.js';
import type { ScratchSettings } from './image-facts.js';
import { takeConsistentImage } from './image.js';
import { mergeListings, type BackupListEntry, type BackupListingSource } from './listing.js';
import { LocalBackupStore } from './local-store.js';
import { completeManifest, type BackupManifest, type ImageManifest } from './manifest.js';
import { backupName, checkBackupName } from './names.js';
import { removeScratchFile, swapInVerifiedImage, verifiedImagePath, type ReplicaSlot, type RestoreCrashPoint } from './restore.js';
import { checkPlaintextDigest, verifyImageFile, type VerifyCheck, type VerifyOutcome } from './verify.js';

/** One database as the backup service reads it; the HTTP layer's `DatabaseHandle` has this shape. */
export interface BackupDatabase {
  readonly id: string;
  readonly replica: Replica | null;
  readonly unavailableReason: string | null;
  readonly source: { readonly endpoint: { host: string; port: number } } | null;
}

export interface BackupDatabases {
  get(id: string): BackupDatabase | undefined;
}

/** A replica whose file a restore can replace, with the 503 `restoring` mark around the swap. */
export interface RestorableReplica extends ReplicaSlot {
  /** From now on new requests to the database get 503 DUCKLING_DATABASE_RESTORING. */
  beginRestoring(): void;
  endRestoring(): void;
}

export interface BackupServiceDeps {
  databases: BackupDatabases;
  /** The restorable replica of a database; the database manager provides it. */
  restorableReplica(databaseId: string): RestorableReplica;
  /** Source identity recorded in a replica, or null; compared with a backup's before a restore. */
  recordedIdentity(replica: Replica): Promise<SourceIdentity | null>;
  syncActivity: ConstructorParameters<typeof DatabaseOperationGuard>[0];
  /** `BACKUP_PATH`. */
  backupRoot: string;
  retentionDays: number;
  /** Scratch DuckDB settings for reading an image; `name` makes the spill directory unique. */
  scratchSettings(databaseId: string, name: string): ScratchSettings;
  ducklingVersion: string;
  logger: Logger;
  /** Receives `backup.created`, `backup.failed` and `restore.*` events. */
  audit: { record(input: AuditEventInput): void };
  /** Current time; tests move it. */
  now?: () => Date;
  /** Test-only: the restore step at which the process kills itself. */
  restoreCrashAt?: RestoreCrashPoint | null;
}

/** Actor that requested a backup or restore, for the audit log; the system actor when omitted (the schedule). */
export interface OperationContext {
  actor: AuditActor;
  requestId?: string | null;
}

/** Result of one local backup, as `POST /api/backups` returns it. */
export interface LocalBackupResult {
  name: string;
  size: number;
  durationMs: number;
  manifest: BackupManifest;
  /** Key of the S3 copy when a listener uploaded one. */
  s3Key?: string;
}

/**
 * Runs after each local backup, inside its guard, with the complete local image. The S3 side
 * uploads it and returns the object key. A thrown error is logged, and the local backup is kept.
 */
export type BackupListener = (backup: { databaseId: string; name: string; imagePath: string; manifest: BackupManifest }) => Promise<{ s3Key?: string } | void>;

/**
 * Produces a plaintext image at `destinationPath` and returns its manifest with the checks of the
 * stages it ran (for S3: `download`, `size`, `sha256`, `manifest_mac`, `key`, `hmac`, `decrypt`).
 * A failed check, or a null manifest, stops the verification with 422. It may throw a
 * DucklingError (502, DUCKLING_BACKUP_KEY_UNKNOWN), which passes to the caller unchanged.
 */
export type PrepareImage = (destinationPath: string) => Promise<{ manifest: BackupManifest | null; checks: VerifyCheck[] }>;

/** Verifies a remote backup by its key; the S3 side registers one for `POST /api/backups/verify` with `location: "s3"`. */
export type RemoteVerifier = (databaseId: string, key: string, options: { allowCrossDatabase: boolean }) => Promise<VerifyOutcome>;

/** Result of a restore, as `POST /api/backups/restore` returns it. */
export interface RestoreResult {
  restoredFrom: string;
  tables: Array<{ name: string; rows: number }>;
  durationMs: number;
}

/**
 * Local backups, verification and restores of every database, and the hooks through which the S3
 * side adds its listing, its upload after each backup, and its download before a restore.
 */
export class BackupService {
  readonly guard: DatabaseOperationGuard;
  readonly store: LocalBackupStore;
  private readonly listingSources: BackupListingSource[] = [];
  private readonly backupListeners: BackupListener[] = [];
  private readonly remoteVerifiers = new Map<'s3', RemoteVerifier>();
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(private readonly deps: BackupServiceDeps) {
    this.logger = deps.logger.child({ subsystem: 'backup' });
    this.guard = new DatabaseOperationGuard(deps.syncActivity);
    this.store = new LocalBackupStore(deps.backupRoot, this.logger);
    this.now = deps.now ?? (() => new Date());
  }

  /** Absolute path of the database's live replica file; scratch files go beside it. */
  replicaFilePath(databaseId: string): string {
    return this.deps.restorableReplica(databaseId).filePath;
  }

  addListingSource(source: BackupListingSource): void {
    this.listingSources.push(source);
  }

  addBackupListener(listener: BackupListener): void {
    this.backupListeners.push(listener);
  }

  addRemoteVerifier(location: 's3', verifier: RemoteVerifier): void {
    this.remoteVerifiers.set(location, verifier);
  }

  /** Runs every check on a local backup (by `name`) or a remote one (by `key`) without restoring it. */
  async verify(databaseId: string, request: { location: 'local' | 's3'; name?: string; key?: string; allowCrossDatabase: boolean }): Promise<VerifyOutcome> {
    const options = { allowCrossDatabase: request.allowCrossDatabase };
    if (request.location === 'local') {
      if (request.name === undefined) throw missingField('name', 'location "local" needs the backup name');
      return this.verifyLocal(databaseId, request.name, options);
    }
    if (request.key === undefined) throw missingField('key', `location "${request.location}" needs the object key`);
    const verifier = this.remoteVerifiers.get(request.location);
    if (!verifier) throw missingField('location', `backups at "${request.location}" cannot be verified by this server`);
    return verifier(databaseId, request.key, options);
  }

  /**
   * Takes a local backup now: a consistent image and its manifest in a new directory, then the
   * listeners (S3 upload) and retention. Throws 409 DUCKLING_BACKUP_IN_PROGRESS while another
   * backup or restore of the database runs, 500 DUCKLING_BACKUP_FAILED when the image fails.
   */
  async createLocalBackup(databaseId: string, context: OperationContext = { actor: SYSTEM_ACTOR }): Promise<LocalBackupResult> {
    const database = this.requireReplica(databaseId);
    return this.guard.run(databaseId, 'backup', async () => {
      const startedAtMs = Date.now();
      const createdAt = this.now();
      const name = backupName(databaseId, createdAt);
      const location = await this.store.prepare(name);

      let manifest: BackupManifest;
      try {
        const image = await this.takeImage(database, location.imagePath, name, createdAt);
        const object = { key: path.relative(this.store.root, location.imagePath), size: image.plaintext.size, sha256: image.plaintext.sha256 };
        manifest = completeManifest(image, object, null);
        await this.store.writeManifest(location, manifest);
      } catch (error) {
        await this.store.remove(location);
        this.logger.error({ err: error, databaseId, backup: name }, 'backup failed');
        this.audit('backup.failed', 'failure', databaseId, context, { backup: name, reason: errorMessage(error) });
        if (error instanceof DucklingError) throw error;
        throw new DucklingError('DUCKLING_BACKUP_FAILED', { db: databaseId, detail: (error as Error).message }, { cause: error });
      }
      const result: LocalBackupResult = { name, size: manifest.object.size, durationMs: Date.now() - startedAtMs, manifest };
      this.logger.info({ databaseId, backup: name, size: result.size, durationMs: result.durationMs, tables: manifest.tables.length }, 'backup created');
      this.audit('backup.created', 'success', databaseId, context, { backup: name, size: result.size });

      for (const listener of this.backupListeners) {
        try {
          const outcome = await listener({ databaseId, name, imagePath: location.imagePath, manifest });
          if (outcome?.s3Key) result.s3Key = outcome.s3Key;
        } catch (error) {
          this.logger.error({ err: error, databaseId, backup: name }, 'backup listener failed; the local backup is kept');
        }
      }
      await this.store.applyRetention(databaseId, this.deps.retentionDays, this.now()).catch((error: unknown) =>
        this.logger.error({ err: error, databaseId }, 'backup retention failed'),
      );
      return result;
    });
  }

  /**
   * Takes a consistent image into a scratch file beside the replica, runs `task` on it and removes
   * it. Holds the database's backup guard meanwhile, so it throws 409 like `createLocalBackup`.
   */
  async withTemporaryImage<T>(databaseId: string, task: (image: { name: string; path: string; manifest: ImageManifest }) => Promise<T>): Promise<T> {
    const database = this.requireReplica(databaseId);
    return this.guard.run(databaseId, 'backup', async () => {
      const createdAt = this.now();
      const name = backupName(databaseId, createdAt);
      const imagePath = `${database.replica.filePath}.image-${name}.tmp`;
      try {
        const manifest = await this.takeImage(database, imagePath, name, createdAt);
        return await task({ name, path: imagePath, manifest });
      } finally {
        await rm(imagePath, { force: true });
      }
    });
  }

  /** Returns the creation time (ISO 8601) of the database's newest complete local backup, or null. */
  async lastBackupAt(databaseId: string): Promise<string | null> {
    return (await this.store.newestComplete(databaseId))?.manifest?.createdAt ?? null;
  }

  /** Local backups and those of every listing source, newest first. */
  async list(databaseId: string): Promise<BackupListEntry[]> {
    const listings = await Promise.all([this.store.list(databaseId), ...this.listingSources.map((source) => source.list(databaseId))]);
    return mergeListings(listings);
  }

  /** Runs every check on a local backup without restoring it. 400 for a bad name, 404 for an unknown one. */
  async verifyLocal(databaseId: string, name: string, options: { allowCrossDatabase: boolean }): Promise<VerifyOutcome> {
    this.requireDatabase(databaseId);
    checkBackupName(name, this.deps.backupRoot);
    const prepare = await this.prepareLocal(databaseId, name);
    const scratchPath = `${this.replicaFilePath(databaseId)}.verify-${name}.tmp`;
    return this.verifyPrepared(databaseId, name, scratchPath, prepare, options);
  }

  /**
   * Verifies a backup that `prepare` writes to `scratchPath`, then removes the scratch file. The
   * S3 side calls this with its download and decryption as `prepare`.
   */
  async verifyPrepared(
    databaseId: string,
    name: string,
    scratchPath: string,
    prepare: PrepareImage,
    options: { allowCrossDatabase: boolean },
  ): Promise<VerifyOutcome> {
    try {
      return await this.runVerification(databaseId, name, scratchPath, prepare, options);
    } finally {
      await removeScratchFile(scratchPath, this.logger);
    }
  }

  /**
   * Restores a local backup, by name or the newest complete one. See `restorePrepared` for the
   * steps and errors; a name that breaks the naming rule gets 400 and an unknown one 404.
   */
  async restoreLocal(
    databaseId: string,
    choice: { name: string } | { latest: true },
    options: { allowCrossDatabase: boolean },
    context: OperationContext = { actor: SYSTEM_ACTOR },
  ): Promise<RestoreResult> {
    this.requireDatabase(databaseId);
    let name: string;
    if ('name' in choice) {
      checkBackupName(choice.name, this.deps.backupRoot);
      name = choice.name;
    } else {
      const newest = await this.store.newestComplete(databaseId);
      if (newest === null) {
        throw new DucklingError('DUCKLING_BACKUP_NOT_FOUND', { name: 'latest', db: databaseId, hint: '; the database has no complete local backup, so take one first with POST /api/backups' });
      }
      name = newest.name;
    }
    const prepare = await this.prepareLocal(databaseId, name);
    return this.restorePrepared(databaseId, name, prepare, options, context);
  }

  /**
   * Restores a backup that `prepare` writes as plaintext beside the replica. Rejects with 409
   * while a sync, backup or restore of the database runs. A file that fails verification gets 422
   * DUCKLING_BACKUP_INTEGRITY_FAILED or DUCKLING_BACKUP_OTHER_DATABASE, and the live replica stays
   * untouched. Otherwise the database is marked restoring (503 for new requests), its replica is
   * closed, and the file is swapped in through the restore journal.
   */
  async restorePrepared(
    databaseId: string,
    name: string,
    prepare: PrepareImage,
    options: { allowCrossDatabase: boolean },
    context: OperationContext = { actor: SYSTEM_ACTOR },
  ): Promise<RestoreResult> {
    this.requireDatabase(databaseId);
    return this.guard.run(databaseId, 'restore', async () => {
      this.audit('restore.started', 'success', databaseId, context, { backup: name, allowCrossDatabase: options.allowCrossDatabase });
      try {
        const result = await this.restoreGuarded(databaseId, name, prepare, options);
        this.audit('restore.completed', 'success', databaseId, context, { backup: name, durationMs: result.durationMs });
        return result;
      } catch (error) {
        const code = error instanceof DucklingError ? error.code : 'DUCKLING_INTERNAL';
        this.audit('restore.failed', 'failure', databaseId, context, { backup: name, code });
        throw error;
      }
    });
  }

  /** Verifies and swaps in a backup; the caller holds the database's restore guard. */
  private async restoreGuarded(databaseId: string, name: string, prepare: PrepareImage, options: { allowCrossDatabase: boolean }): Promise<RestoreResult> {
    const startedAtMs = Date.now();
    const slot = this.deps.restorableReplica(databaseId);
    const verifiedPath = verifiedImagePath(slot.filePath, name);
    let manifest: BackupManifest;
    try {
      const outcome = await this.runVerification(databaseId, name, verifiedPath, prepare, options);
      if (!outcome.valid) throw this.verificationError(databaseId, name, outcome);
      manifest = outcome.manifest!;
    } catch (error) {
      await removeScratchFile(verifiedPath, this.logger);
      throw error;
    }

    this.logger.info({ databaseId, backup: name }, 'restore verified; swapping the replica');
    slot.beginRestoring();
    try {
      await swapInVerifiedImage({ databaseId, slot, verifiedPath, logger: this.logger, now: this.now(), crashAt: this.deps.restoreCrashAt ?? null });
    } finally {
      slot.endRestoring();
      await removeScratchFile(verifiedPath, this.logger);
    }
    const durationMs = Date.now() - startedAtMs;
    this.logger.info({ databaseId, backup: name, durationMs }, 'restore completed');
    return { restoredFrom: name, tables: manifest.tables.map(({ name: table, rows }) => ({ name: table, rows })), durationMs };
  }

  private audit(event: AuditEventInput['event'], outcome: 'success' | 'failure', databaseId: string, context: OperationContext, detail: Record<string, unknown>): void {
    this.deps.audit.record({ event, actor: context.actor, target: databaseId, outcome, requestId: context.requestId ?? null, detail });
  }

  private async runVerification(
    databaseId: string,
    name: string,
    scratchPath: string,
    prepare: PrepareImage,
    options: { allowCrossDatabase: boolean },
  ): Promise<VerifyOutcome & { manifest: BackupManifest | null }> {
    await mkdir(path.dirname(scratchPath), { recursive: true });
    const prepared = await prepare(scratchPath);
    const checks = [...prepared.checks];
    if (checks.some((check) => !check.ok) || prepared.manifest === null) {
      return { valid: false, checks, failure: 'integrity', manifest: prepared.manifest };
    }
    const database = this.requireDatabase(databaseId);
    const recordedIdentity = database.replica ? await this.deps.recordedIdentity(database.replica) : null;
    const outcome = await verifyImageFile(scratchPath, prepared.manifest, { databaseId, recordedIdentity }, {
      allowCrossDatabase: options.allowCrossDatabase,
      scratch: this.deps.scratchSettings(databaseId, name),
    });
    return { ...outcome, checks: [...checks, ...outcome.checks], manifest: prepared.manifest };
  }

  /** Builds the `download`, `size` and `sha256` stages of a local backup, which copy it beside the replica and check the copy. */
  private async prepareLocal(databaseId: string, name: string): Promise<PrepareImage> {
    const location = await this.store.find(databaseId, name);
    return async (destinationPath) => {
      let manifest: BackupManifest;
      try {
        manifest = await this.store.readManifest(location);
      } catch (error) {
        return { manifest: null, checks: [{ name: 'download', ok: false, detail: (error as Error).message }] };
      }
      try {
        await copyFile(location.imagePath, destinationPath, constants.COPYFILE_FICLONE);
      } catch (error) {
        return { manifest, checks: [{ name: 'download', ok: false, detail: `copying ${path.basename(location.imagePath)} failed: ${(error as Error).message}` }] };
      }
      const copied: VerifyCheck = { name: 'download', ok: true, detail: `copied ${path.basename(location.imagePath)}` };
      return { manifest, checks: [copied, ...(await checkPlaintextDigest(destinationPath, manifest.plaintext))] };
    };
  }

  /** Logs the checks of a failed verification and returns its 422, whose message does not depend on the failed check. */
  private verificationError(databaseId: string, name: string, outcome: VerifyOutcome): DucklingError {
    const failed = outcome.checks.find((check) => !check.ok);
    this.logger.warn({ databaseId, backup: name, checks: outcome.checks }, 'backup failed verification; nothing restored');
    if (outcome.failure === 'other-database') {
      return new DucklingError('DUCKLING_BACKUP_OTHER_DATABASE', { name, db: databaseId, detail: failed?.detail.replace(/; set allowCrossDatabase.*$/, '') ?? 'identity differs' });
    }
    return new DucklingError('DUCKLING_BACKUP_INTEGRITY_FAILED', { name, db: databaseId });
  }

  private requireDatabase(databaseId: string): BackupDatabase {
    const database = this.deps.databases.get(databaseId);
    if (!database) throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: databaseId, hint: '' });
    return database;
  }

  private requireReplica(databaseId: string): BackupDatabase & { replica: Replica } {
    const database = this.requireDatabase(databaseId);
    if (!database.replica) {
      throw new DucklingError('DUCKLING_DATABASE_UNAVAILABLE', { db: databaseId, detail: database.unavailableReason ?? 'it is not open' });
    }
    return database as BackupDatabase & { replica: Replica };
  }

  private takeImage(database: BackupDatabase & { replica: Replica }, destinationPath: string, name: string, createdAt: Date): Promise<ImageManifest> {
    return takeConsistentImage(
      { databaseId: database.id, replica: database.replica, endpoint: database.source ? { host: database.source.endpoint.host, port: database.source.endpoint.port } : null },
      destinationPath,
      { backupId: name, createdAt, ducklingVersion: this.deps.ducklingVersion, scratch: this.deps.scratchSettings(database.id, name), logger: this.logger },
    );
  }
}

function missingField(field: string, message: string): DucklingError {
  return new DucklingError('DUCKLING_VALIDATION_FAILED', { detail: `body.${field}: ${message}` }, { extra: { details: [{ field: `body.${field}`, message }] } });
}
