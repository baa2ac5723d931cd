import { DucklingError, errorMessage } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import type { S3Settings } from '../../registry/index.js';
import type { BackupListEntry, BackupListingSource } from '../listing.js';
import type { BackupManifest, ImageManifest } from '../manifest.js';
import { SYSTEM_ACTOR, type AuditEventInput } from '../../audit/index.js';
import type { BackupService, OperationContext, RestoreResult } from '../service.js';
import type { VerifyOutcome } from '../verify.js';
import { DEFAULT_CHUNK_BYTES, HEADER_BYTES, TAG_BYTES } from '../encryption/index.js';
import { checkDataObjectKey, dataObjectKey, manifestObjectKey, type BackupObjectKey } from './object-keys.js';
import { openS3ObjectStore } from './open-store.js';
import { collectBackupObjects, describeBackups } from './s3-catalog.js';
import { S3OperationError, type S3ObjectStore, type S3ObjectStoreOptions } from './s3-object-store.js';
import { prepareFromS3 } from './s3-prepare.js';
import { applyS3Retention } from './s3-retention.js';
import type { S3SettingsService } from './s3-settings-service.js';
import { uploadImage } from './s3-upload.js';

export interface S3BackupServiceDeps {
  backups: BackupService;
  settings: Pick<S3SettingsService, 'requireEnabled' | 'find'>;
  /** Records `backup.created` and `backup.failed` of uploads requested through `POST /api/backups/s3`. */
  audit: { record(input: AuditEventInput): void };
  logger: Logger;
  /** Options of every store opened here; tests lower the list page size. */
  storeOptions?: S3ObjectStoreOptions;
  now?: () => Date;
}

/** A running S3 transfer of one database, for `GET /api/backups/s3/progress` and the CLI's bars. */
export interface S3TransferProgress {
  operation: 'upload' | 'download';
  /** Data object key. */
  key: string;
  transferredBytes: number;
  /** Size of the whole object; null until it is known. */
  totalBytes: number | null;
  startedAt: string;
}

/** Result of `POST /api/backups/s3`. */
export interface S3BackupResult {
  name: string;
  key: string;
  manifestKey: string;
  size: number;
  durationMs: number;
}

/**
 * S3 backups of every database, built on the local backup service: uploads of consistent images
 * (on request and after each local backup), the S3 entries of `GET /api/backups`, verification
 * and restore from S3, and retention after each upload.
 */
export class S3BackupService implements BackupListingSource {
  readonly location = 's3' as const;
  private readonly logger: Logger;
  private readonly now: () => Date;
  /** The running transfer of each database; the backup guard allows one at a time. */
  private readonly transfers = new Map<string, S3TransferProgress>();
  /** ISO-8601 end of each database's last successful upload since this process started. */
  private readonly lastUploadAt = new Map<string, string>();

  constructor(private readonly deps: S3BackupServiceDeps) {
    this.logger = deps.logger.child({ subsystem: 's3-backup' });
    this.now = deps.now ?? (() => new Date());
  }

  /** Registers the listing, the upload after each local backup and the S3 verifier on the backup service. */
  register(): void {
    this.deps.backups.addListingSource(this);
    this.deps.backups.addBackupListener((backup) => this.uploadAfterLocalBackup(backup));
    this.deps.backups.addRemoteVerifier('s3', (databaseId, key, options) => this.verify(databaseId, key, options));
  }

  /**
   * Takes a consistent image now and uploads it. Throws 400 when S3 is not configured or disabled,
   * 409 while a backup or restore of the database runs, 502 when the store fails.
   */
  async backupNow(databaseId: string, context: OperationContext = { actor: SYSTEM_ACTOR }): Promise<S3BackupResult> {
    const settings = this.deps.settings.requireEnabled(databaseId);
    const record = (event: 'backup.created' | 'backup.failed', detail: Record<string, unknown>) =>
      this.deps.audit.record({ event, actor: context.actor, target: databaseId, outcome: event === 'backup.created' ? 'success' : 'failure', requestId: context.requestId ?? null, detail });

    return this.deps.backups.withTemporaryImage(databaseId, async (image) => {
      const startedAtMs = Date.now();
      try {
        const uploaded = await this.upload(databaseId, settings, image.name, image.path, image.manifest);
        record('backup.created', { backup: image.name, location: 's3', objectKey: uploaded.key, size: uploaded.size });
        return { name: image.name, key: uploaded.key, manifestKey: uploaded.manifestKey, size: uploaded.size, durationMs: Date.now() - startedAtMs };
      } catch (error) {
        record('backup.failed', { backup: image.name, location: 's3', reason: errorMessage(error) });
        throw error;
      }
    });
  }

  /**
   * Returns the `s3Backup` block of the automation status: whether uploads follow local backups,
   * the S3 retention, and the last upload.
   * NOTE: `lastUploadAt` covers uploads of this process only, so it is null after a restart until
   * the next upload; `GET /api/backups` lists the uploads themselves.
   */
  describeAutomation(databaseId: string): { enabled: boolean; retentionDays: number | null; lastUploadAt: string | null } {
    const settings = this.deps.settings.find(databaseId);
    return {
      enabled: settings?.enabled ?? false,
      retentionDays: settings?.s3BackupRetentionDays ?? null,
      lastUploadAt: this.lastUploadAt.get(databaseId) ?? null,
    };
  }

  /** Returns the running upload or download of a database, or null. */
  transferProgress(databaseId: string): S3TransferProgress | null {
    const transfer = this.transfers.get(databaseId);
    return transfer ? { ...transfer } : null;
  }

  /** Returns the S3 entries of `GET /api/backups`, none when S3 is not configured. Throws 502 when the store fails. */
  async list(databaseId: string): Promise<BackupListEntry[]> {
    const settings = this.deps.settings.find(databaseId);
    if (!settings) return [];
    return this.withStore(databaseId, settings, 'list', async (store) =>
      describeBackups(store, settings, await collectBackupObjects(store, settings, databaseId)),
    );
  }

  /**
   * Restores the backup whose data object is `key`: download, every check of the verification,
   * then the journaled swap of the local backup service. Throws 400 for a key outside the
   * database's prefix or naming another database, and 404 when neither object exists. Throws 422
   * when a check fails or the key is unknown, 409 while a sync, backup or restore runs, and 502 when
   * the store fails.
   */
  async restore(databaseId: string, key: string, options: { allowCrossDatabase: boolean }, context: OperationContext = { actor: SYSTEM_ACTOR }): Promise<RestoreResult> {
    const { settings, parsedKey } = await this.locate(databaseId, key);
    const store = openS3ObjectStore(settings, this.deps.storeOptions);
    try {
      const onDownloadProgress = this.trackTransfer(databaseId, 'download', key);
      const prepare = prepareFromS3({ store, settings, databaseId, key, parsedKey, purpose: 'restore', logger: this.logger, onDownloadProgress });
      return await this.deps.backups.restorePrepared(databaseId, parsedKey.name, prepare, options, context);
    } finally {
      this.transfers.delete(databaseId);
      store.destroy();
    }
  }

  /** Runs every check on an S3 backup without restoring it; one check per stage. */
  async verify(databaseId: string, key: string, options: { allowCrossDatabase: boolean }): Promise<VerifyOutcome> {
    const { settings, parsedKey } = await this.locate(databaseId, key);
    const store = openS3ObjectStore(settings, this.deps.storeOptions);
    try {
      const onDownloadProgress = this.trackTransfer(databaseId, 'download', key);
      const prepare = prepareFromS3({ store, settings, databaseId, key, parsedKey, purpose: 'verify', logger: this.logger, onDownloadProgress });
      const scratchPath = `${this.deps.backups.replicaFilePath(databaseId)}.verify-${parsedKey.name}.tmp`;
      return await this.deps.backups.verifyPrepared(databaseId, parsedKey.name, scratchPath, prepare, options);
    } finally {
      this.transfers.delete(databaseId);
      store.destroy();
    }
  }

  /** Uploads each new local backup of a database with S3 enabled; returns the data object key. */
  private async uploadAfterLocalBackup(backup: { databaseId: string; name: string; imagePath: string; manifest: BackupManifest }): Promise<{ s3Key?: string }> {
    const settings = this.deps.settings.find(backup.databaseId);
    if (!settings?.enabled) return {};
    const { object: _object, encryption: _encryption, status: _status, manifestHmac: _mac, ...image } = backup.manifest;
    const uploaded = await this.upload(backup.databaseId, settings, backup.name, backup.imagePath, image);
    return { s3Key: uploaded.key };
  }

  /** Uploads one image, then applies retention. A retention failure is logged and does not fail the upload. */
  private async upload(databaseId: string, settings: S3Settings, name: string, imagePath: string, image: ImageManifest) {
    const startedAtMs = Date.now();
    const store = openS3ObjectStore(settings, this.deps.storeOptions);
    const key = dataObjectKey(settings.pathPrefix, name, settings.encryption === 'client-aes256');
    const onProgress = this.trackTransfer(databaseId, 'upload', key);
    try {
      const uploaded = await uploadImage({ store, settings, name, imagePath, image, onProgress: (bytes) => onProgress(bytes, expectedObjectSize(settings, image.plaintext.size)) });
      this.logger.info(
        { databaseId, backup: name, objectKey: uploaded.key, size: uploaded.size, encryption: settings.encryption, durationMs: Date.now() - startedAtMs },
        'backup uploaded to s3',
      );
      this.lastUploadAt.set(databaseId, this.now().toISOString());
      await applyS3Retention({ store, settings, databaseId, now: this.now(), logger: this.logger }).catch((error: unknown) =>
        this.logger.error({ err: error, databaseId }, 's3 retention failed'),
      );
      return uploaded;
    } catch (error) {
      this.logger.error({ err: error, databaseId, backup: name, event: 'backup.failed' }, 's3 backup upload failed');
      if (error instanceof S3OperationError) throw new DucklingError('DUCKLING_S3_FAILED', { db: databaseId, detail: error.message }, { cause: error });
      throw new DucklingError('DUCKLING_BACKUP_FAILED', { db: databaseId, detail: `S3 upload: ${errorMessage(error)}` }, { cause: error });
    } finally {
      this.transfers.delete(databaseId);
      store.destroy();
    }
  }

  /** Starts the progress record of a transfer and returns the callback that updates it. */
  private trackTransfer(databaseId: string, operation: S3TransferProgress['operation'], key: string): (transferredBytes: number, totalBytes: number | null) => void {
    const transfer: S3TransferProgress = { operation, key, transferredBytes: 0, totalBytes: null, startedAt: this.now().toISOString() };
    this.transfers.set(databaseId, transfer);
    return (transferredBytes, totalBytes) => {
      transfer.transferredBytes = transferredBytes;
      transfer.totalBytes = totalBytes;
    };
  }

  /** Checks a requested key and that its data or manifest object exists. */
  private async locate(databaseId: string, key: string): Promise<{ settings: S3Settings; parsedKey: BackupObjectKey }> {
    const settings = this.deps.settings.find(databaseId);
    if (!settings) throw new DucklingError('DUCKLING_S3_NOT_CONFIGURED', { db: databaseId, detail: '' });
    const parsedKey = checkDataObjectKey(key, settings.pathPrefix, databaseId);

    const exists = await this.withStore(databaseId, settings, 'head', async (store) => {
      const [data, manifest] = await Promise.all([store.head(key), store.head(manifestObjectKey(settings.pathPrefix, parsedKey.name))]);
      return data !== null || manifest !== null;
    });
    if (!exists) throw new DucklingError('DUCKLING_BACKUP_NOT_FOUND', { name: key, db: databaseId, hint: '; GET /api/backups lists the S3 keys' });
    return { settings, parsedKey };
  }

  private async withStore<T>(databaseId: string, settings: S3Settings, action: string, task: (store: S3ObjectStore) => Promise<T>): Promise<T> {
    const store = openS3ObjectStore(settings, this.deps.storeOptions);
    try {
      return await task(store);
    } catch (error) {
      if (!(error instanceof S3OperationError)) throw error;
      this.logger.warn({ err: error, databaseId, action }, 's3 request failed');
      throw new DucklingError('DUCKLING_S3_FAILED', { db: databaseId, detail: error.message }, { cause: error });
    } finally {
      store.destroy();
    }
  }
}

/** Size of the object an upload writes: the image itself, or for `client-aes256` the header plus one tag per chunk more. */
function expectedObjectSize(settings: S3Settings, plaintextBytes: number): number {
  if (settings.encryption !== 'client-aes256') return plaintextBytes;
  const chunks = Math.max(1, Math.ceil(plaintextBytes / DEFAULT_CHUNK_BYTES));
  return HEADER_BYTES + plaintextBytes + chunks * TAG_BYTES;
}
