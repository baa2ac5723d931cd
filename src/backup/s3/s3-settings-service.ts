import { DucklingError } from '../../errors/index.js';
import type { Logger } from '../../logging/index.js';
import { findOverlappingPrefixes, validateS3Settings, type DatabaseRegistry, type S3Settings } from '../../registry/index.js';
import { openS3ObjectStore, serverSideEncryptionOf } from './open-store.js';
import type { S3ObjectStoreOptions } from './s3-object-store.js';
import { applyS3Input, maskS3Settings, type MaskedS3Settings, type S3SettingsInput } from './s3-settings-changes.js';

export interface S3SettingsServiceDeps {
  registry: DatabaseRegistry;
  logger: Logger;
  /** Options of every store opened here; tests lower the list page size. */
  storeOptions?: S3ObjectStoreOptions;
  now?: () => Date;
}

/**
 * Reads and changes the `s3` block of database records (`/api/databases/:id/s3`). Changes take
 * effect at once because every backup opens its store from the current record.
 */
export class S3SettingsService {
  private readonly logger: Logger;
  private readonly now: () => Date;

  constructor(private readonly deps: S3SettingsServiceDeps) {
    this.logger = deps.logger.child({ subsystem: 's3' });
    this.now = deps.now ?? (() => new Date());
  }

  /** Returns the masked block, or null when the database has none. Throws 404 for an unknown database. */
  get(databaseId: string): MaskedS3Settings | null {
    const settings = this.requireRecord(databaseId).s3;
    return settings ? maskS3Settings(settings) : null;
  }

  /** Returns the clear settings for backup code; throws 400 when S3 is unset or disabled. */
  requireEnabled(databaseId: string): S3Settings {
    const settings = this.requireRecord(databaseId).s3;
    if (!settings) throw new DucklingError('DUCKLING_S3_NOT_CONFIGURED', { db: databaseId, detail: '' });
    if (!settings.enabled) throw new DucklingError('DUCKLING_S3_NOT_CONFIGURED', { db: databaseId, detail: ' enabled (s3.enabled is false)' });
    return settings;
  }

  /** Returns the clear settings, enabled or not, or undefined; for restores of older backups. */
  find(databaseId: string): S3Settings | undefined {
    return this.requireRecord(databaseId).s3;
  }

  /**
   * Validates and stores a PUT body. Throws 400 listing every problem, including a `pathPrefix`
   * that overlaps another database's in the same bucket and endpoint.
   */
  async put(databaseId: string, input: S3SettingsInput): Promise<MaskedS3Settings> {
    this.requireRecord(databaseId);
    let rotated = false;
    await this.deps.registry.update(databaseId, (current) => {
      const next = applyS3Input(databaseId, current.s3, input, this.now());
      rotated = current.s3?.encryptionKey !== undefined && next.encryptionKey?.toLowerCase() !== current.s3.encryptionKey.toLowerCase();
      this.assertValid(databaseId, next);
      return { ...current, s3: next, updatedAt: this.now().toISOString() };
    });

    const saved = this.requireRecord(databaseId).s3!;
    this.logger.info(
      { databaseId, bucket: saved.bucket, pathPrefix: saved.pathPrefix, encryption: saved.encryption, enabled: saved.enabled, keyRotated: rotated },
      's3 settings saved',
    );
    return maskS3Settings(saved);
  }

  /** Removes the block, keyring included. Throws 404 for an unknown database. */
  async remove(databaseId: string): Promise<{ message: string }> {
    const record = this.requireRecord(databaseId);
    if (!record.s3) return { message: `database "${databaseId}" had no S3 settings` };
    await this.deps.registry.update(databaseId, (current) => {
      const { s3: _removed, ...rest } = current;
      return { ...rest, updatedAt: this.now().toISOString() };
    });
    this.logger.info({ databaseId }, 's3 settings removed');
    return { message: `S3 settings of database "${databaseId}" removed; backups already in the bucket stay there` };
  }

  /** Sends HeadBucket, then writes and deletes a probe object under the prefix. Throws 502 on failure. */
  async test(databaseId: string): Promise<{ success: true; message: string }> {
    const settings = this.requireRecord(databaseId).s3;
    if (!settings) throw new DucklingError('DUCKLING_S3_NOT_CONFIGURED', { db: databaseId, detail: '' });

    const store = openS3ObjectStore(settings, this.deps.storeOptions);
    try {
      await store.probe(settings.pathPrefix, serverSideEncryptionOf(settings));
    } catch (error) {
      this.logger.warn({ err: error, databaseId, bucket: settings.bucket }, 's3 test failed');
      throw new DucklingError('DUCKLING_S3_FAILED', { db: databaseId, detail: (error as Error).message }, { cause: error });
    } finally {
      store.destroy();
    }
    return { success: true, message: `bucket ${settings.bucket} is reachable and a probe object under ${settings.pathPrefix} was written and deleted` };
  }

  private assertValid(databaseId: string, next: S3Settings): void {
    const problems = validateS3Settings(next, `database "${databaseId}"`);
    const others = this.deps.registry.list().filter((record) => record.id !== databaseId);
    problems.push(...findOverlappingPrefixes([...others, { id: databaseId, s3: next }]));
    if (problems.length === 0) return;

    const details = problems.map((message) => ({ field: 'body', message }));
    throw new DucklingError('DUCKLING_VALIDATION_FAILED', { detail: problems.join('; ') }, { extra: { details } });
  }

  private requireRecord(databaseId: string) {
    const record = this.deps.registry.get(databaseId);
    if (!record) throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: databaseId, hint: '' });
    return record;
  }
}
