import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import { DucklingError, errorMessage, isDucklingError } from '../errors/index.js';
import type {
  ConnectionTestResult,
  DatabaseAdminPort,
  DatabaseChanges,
  DatabaseDirectory,
  DatabaseHandle,
  DatabaseView,
  NewDatabaseInput,
} from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { DatabaseRecord, DatabaseRegistry } from '../registry/index.js';
import { Mutex } from '../replica/index.js';
import { parseConnectionString, SourceDatabase, type SourceEndpoint } from '../source/index.js';
import { describeIdentityChange, readRecordedIdentity, recordIdentity, type SyncService } from '../sync/index.js';
import { describeDatabase, testDatabaseConnections } from './database-views.js';
import { databaseRestoringError, type RestorableReplica } from '../backup/index.js';
import { mergeExcluded, openDatabase, openDatabases, openReplicaWithRetry, syncOptionsOf, type LockRetryPolicy } from './open-databases.js';
import type { ReplicaShare } from './resources.js';

const MAX_NAME_LENGTH = 128;

/** How long `DELETE /api/databases/:id` waits for the database's running sync to stop at its next flush. */
const SYNC_STOP_TIMEOUT_MS = 30_000;

/** A database added at runtime gets a new file, so a lock conflict means another process: fail at once. */
const NO_LOCK_RETRY: LockRetryPolicy = { intervalMs: 0, timeoutMs: 0 };

export interface DatabaseManagerDeps {
  config: Config;
  logger: Logger;
  registry: DatabaseRegistry;
  lockRetry: LockRetryPolicy;
  /**
   * The sync service: a database with a running sync cannot switch to another source, and a
   * deleted database's sync is stopped first.
   */
  syncActivity: Pick<SyncService, 'progress' | 'stopDatabase' | 'resync' | 'releaseSourceHalt' | 'sourceHalt'>;
  /** Throws 409 while a backup or restore of the database runs, which a removal or source switch must not overlap. */
  operations?: { assertFree(databaseId: string, operation: 'backup' | 'restore'): void };
  /** Told after a database is added or removed, so its schedule follows the registry. */
  onChange?: { added(databaseId: string): void; removed(databaseId: string): void };
}

/**
 * The open databases and the registry behind them. Changes through the API take effect at once:
 * a new database opens its replica and source pool, a changed connection string replaces the pool
 * after the source identity check, and a deleted database is closed. Changes run one at a time.
 */
export class DatabaseManager implements DatabaseDirectory, DatabaseAdminPort {
  private readonly changes = new Mutex();
  private readonly logger: Logger;

  private constructor(
    private readonly deps: DatabaseManagerDeps,
    private readonly share: ReplicaShare,
    private readonly handles: Map<string, DatabaseHandle>,
  ) {
    this.logger = deps.logger.child({ subsystem: 'registry' });
  }

  /** Opens every database of the registry; the memory and thread share set here applies to later additions too. */
  static async open(deps: DatabaseManagerDeps): Promise<DatabaseManager> {
    const { handles, share } = await openDatabases(deps);
    return new DatabaseManager(deps, share, new Map(handles.map((handle) => [handle.id, handle])));
  }

  get(id: string): DatabaseHandle | undefined {
    return this.handles.get(id);
  }

  list(): readonly DatabaseHandle[] {
    return [...this.handles.values()];
  }

  async describeAll(): Promise<DatabaseView[]> {
    return this.deps.registry.list().map((record) => this.describe(record));
  }

  create(input: NewDatabaseInput): Promise<DatabaseView> {
    return this.changes.run(() => this.createNow(input));
  }

  update(id: string, changes: DatabaseChanges, options: { resync: boolean }): Promise<DatabaseView> {
    return this.changes.run(() => this.updateNow(id, changes, options));
  }

  remove(id: string, options: { deleteFiles: boolean }): Promise<{ message: string }> {
    return this.changes.run(() => this.removeNow(id, options));
  }

  async testConnection(id: string): Promise<ConnectionTestResult> {
    return testDatabaseConnections(this.requireHandle(id), this.logger);
  }

  /**
   * Returns the database's replica in the form a restore swaps it. `close` lets running queries
   * finish for up to QUERY_TIMEOUT_MS, interrupts the rest and closes the replica. `open` opens
   * the file at the same path.
   */
  restorableReplica(id: string): RestorableReplica {
    const record = this.requireRecord(id);
    const filePath = this.deps.registry.replicaPath(record);
    return {
      filePath,
      beginRestoring: () => this.updateHandle(id, { restoring: true }),
      endRestoring: () => this.updateHandle(id, { restoring: false }),
      close: async () => {
        const replica = this.requireHandle(id).replica;
        if (!replica) return;
        const interrupted = await replica.drainReaders(this.deps.config.query.timeoutMs, () => databaseRestoringError(id));
        if (interrupted > 0) this.logger.warn({ databaseId: id, interrupted }, 'queries interrupted for a restore');
        await replica.close();
        this.updateHandle(id, { replica: null, unavailableReason: 'the replica is being restored from a backup' });
      },
      open: async () => {
        const opened = await openReplicaWithRetry({
          config: this.deps.config,
          logger: this.deps.logger.child({ databaseId: id }),
          componentLogger: this.deps.logger,
          record,
          filePath,
          share: this.share,
          lockRetry: NO_LOCK_RETRY,
        });
        this.updateHandle(id, { replica: opened.replica, unavailableReason: opened.reason });
        if (!opened.replica) throw new Error(opened.reason ?? `opening ${record.duckdbPath} failed`);
      },
    };
  }

  /** Memory and thread share of one replica, which scratch instances that read backups get too. */
  get replicaShare(): ReplicaShare {
    return this.share;
  }

  /** Replaces fields of a database's handle; handles are immutable, so readers see one state or the other. */
  private updateHandle(id: string, changes: Partial<DatabaseHandle>): void {
    const handle = this.handles.get(id);
    if (handle) this.handles.set(id, { ...handle, ...changes });
  }

  /** Closes every source pool, then every replica; used at shutdown. */
  async closeAll(): Promise<void> {
    for (const handle of this.handles.values()) {
      await handle.source?.close().catch((error: unknown) => this.logger.warn({ err: error, databaseId: handle.id }, 'source pool close failed'));
    }
    for (const handle of this.handles.values()) {
      await handle.replica?.close().catch((error: unknown) => this.logger.error({ err: error, databaseId: handle.id }, 'replica close failed'));
    }
  }

  private async createNow(input: NewDatabaseInput): Promise<DatabaseView> {
    const { registry } = this.deps;
    const name = checkName(input.name);
    const endpoint = this.parseSource(input.mysqlConnectionString);

    const { id, duckdbPath } = registry.allocate(name);
    const now = new Date().toISOString();
    const record: DatabaseRecord = { id, name, mysqlConnectionString: input.mysqlConnectionString, duckdbPath, createdAt: now, updatedAt: now };
    if (input.sync !== undefined) record.sync = input.sync;

    const handle = await openDatabase({ ...this.deps, lockRetry: NO_LOCK_RETRY, record, share: this.share });
    try {
      // The connection string parsed above, so a source error here is a TLS file that cannot be read.
      if (handle.sourceError) throw handle.sourceError;
      if (!handle.replica) throw new DucklingError('DUCKLING_INTERNAL', { detail: `replica of new database "${id}" could not be created: ${handle.unavailableReason}` });
      await registry.add(record);
    } catch (error) {
      await closeHandle(handle);
      await this.deleteFiles(record);
      throw error;
    }

    this.handles.set(id, handle);
    this.deps.onChange?.added(id);
    this.logger.info({ databaseId: id, name, source: endpoint, file: duckdbPath }, 'database added');
    return this.describe(record);
  }

  private async updateNow(id: string, changes: DatabaseChanges, options: { resync: boolean }): Promise<DatabaseView> {
    const handle = this.requireHandle(id);
    const record = this.requireRecord(id);
    const next: DatabaseRecord = { ...record, updatedAt: new Date().toISOString() };
    if (changes.name !== undefined) next.name = checkName(changes.name);
    if (changes.sync !== undefined) next.sync = changes.sync;

    const newConnection =
      changes.mysqlConnectionString !== undefined && changes.mysqlConnectionString !== record.mysqlConnectionString
        ? changes.mysqlConnectionString
        : null;
    if (newConnection !== null) {
      this.parseSource(newConnection);
      next.mysqlConnectionString = newConnection;
    }
    if (newConnection !== null || options.resync) {
      this.assertNoSync(id);
      this.deps.operations?.assertFree(id, 'backup');
    }

    const switched = newConnection === null ? null : await this.checkNewSource(handle, newConnection, options.resync);
    try {
      // Only the changed fields are written over the current record, so fields changed meanwhile
      // by other writers (database keys) are kept.
      await this.deps.registry.update(id, (current) => ({
        ...current,
        name: next.name,
        mysqlConnectionString: next.mysqlConnectionString,
        updatedAt: next.updatedAt,
        ...(next.sync !== undefined ? { sync: next.sync } : {}),
      }));
    } catch (error) {
      await switched?.source.close();
      throw error;
    }

    this.handles.set(id, {
      ...handle,
      name: next.name,
      excludedTables: mergeExcluded(this.deps.config.sync.excludedTables, next.sync?.excludedTables),
      syncOptions: syncOptionsOf(next),
      source: switched ? switched.source : handle.source,
      sourceError: switched ? null : handle.sourceError,
    });
    if (switched) await handle.source?.close();

    if (options.resync && handle.replica) await this.deps.syncActivity.resync({ databaseId: id, replica: handle.replica });
    if (switched && handle.replica) await recordIdentity(handle.replica, switched.identity);
    // The new connection string reaches the recorded source (or the resync accepted it), so a halt ends.
    if (switched) this.deps.syncActivity.releaseSourceHalt(id);

    this.logger.info(
      { databaseId: id, fields: Object.keys(changes), sourceChanged: switched !== null, resync: options.resync },
      'database updated',
    );
    return this.describe(next);
  }

  /**
   * Connects with the new connection string and compares the source identity with the one the
   * replica recorded. Returns the new pool and identity; throws 409 DUCKLING_SOURCE_CHANGED when
   * they differ and no resync was requested, 502 when the new source cannot be reached.
   */
  private async checkNewSource(handle: DatabaseHandle, connectionString: string, resync: boolean) {
    if (!handle.replica) {
      throw new DucklingError('DUCKLING_DATABASE_UNAVAILABLE', {
        db: handle.id,
        detail: `${handle.unavailableReason ?? 'it is not open'}; the new source cannot be checked against it, so fix the replica file and restart first`,
      });
    }
    const source = SourceDatabase.create({ databaseId: handle.id, connectionString, config: this.deps.config, logger: this.deps.logger });
    try {
      const identity = await source.identify();
      const recorded = await readRecordedIdentity(handle.replica);
      const change = recorded === null ? null : describeIdentityChange(recorded, identity);
      if (change !== null && !resync) {
        throw new DucklingError('DUCKLING_SOURCE_CHANGED', {
          subject: 'new connection string',
          db: handle.id,
          detail: change,
          remedy: 'keep the old connection string, or repeat the request with ?resync=true to switch sources and reload the replica at the next sync',
        });
      }
      return { source, identity };
    } catch (error) {
      await source.close();
      throw error;
    }
  }

  /**
   * Removes the database. Its handle leaves the directory first, so neither a route nor the
   * scheduler starts another sync of it. A running sync then stops at its next flush. When it does
   * not stop within SYNC_STOP_TIMEOUT_MS, the database is put back and 409 is thrown.
   */
  private async removeNow(id: string, options: { deleteFiles: boolean }): Promise<{ message: string }> {
    const handle = this.requireHandle(id);
    const record = this.requireRecord(id);
    this.deps.operations?.assertFree(id, 'backup');

    this.handles.delete(id);
    this.deps.onChange?.removed(id);
    const restore = () => {
      this.handles.set(id, handle);
      this.deps.onChange?.added(id);
    };
    if (!(await this.deps.syncActivity.stopDatabase(id, SYNC_STOP_TIMEOUT_MS))) {
      restore();
      this.assertNoSync(id);
    }
    try {
      await this.deps.registry.remove(id);
    } catch (error) {
      restore();
      throw error;
    }
    await closeHandle(handle);

    const file = record.duckdbPath;
    if (options.deleteFiles) await this.deleteFiles(record);
    this.logger.info({ databaseId: id, file, filesDeleted: options.deleteFiles }, 'database removed');
    const message = options.deleteFiles
      ? `Database "${id}" removed and its replica file ${file} deleted`
      : `Database "${id}" removed; its replica file ${file} was kept in DATA_PATH`;
    return { message };
  }

  /** Parses a connection string, naming the request field in the error. Never includes the password. */
  private parseSource(connectionString: string): SourceEndpoint {
    try {
      return parseConnectionString(connectionString, this.deps.config.mysql.tlsDir).endpoint;
    } catch (error) {
      if (!isDucklingError(error)) throw error;
      const reason = errorMessage(error).replace(/^Request validation failed: /, '');
      throw new DucklingError(
        'DUCKLING_VALIDATION_FAILED',
        { detail: `body.mysqlConnectionString: ${reason}` },
        { cause: error, extra: { details: [{ field: 'body.mysqlConnectionString', message: reason }] } },
      );
    }
  }

  /** Throws 409 DUCKLING_SYNC_IN_PROGRESS while a sync of the database runs. */
  private assertNoSync(id: string): void {
    const progress = this.deps.syncActivity.progress(id);
    if (!progress.inProgress) return;
    throw new DucklingError('DUCKLING_SYNC_IN_PROGRESS', { runType: progress.type ?? 'full', db: id, runId: progress.runId ?? 'unknown' });
  }

  private async deleteFiles(record: DatabaseRecord): Promise<void> {
    const filePath = this.deps.registry.replicaPath(record);
    for (const target of [filePath, `${filePath}.wal`, path.join(this.deps.config.duckdb.tempDirectory, record.id)]) {
      await rm(target, { recursive: true, force: true }).catch((error: unknown) =>
        this.logger.warn({ err: error, databaseId: record.id, file: target }, 'deleting a replica file failed'),
      );
    }
  }

  private describe(record: DatabaseRecord): DatabaseView {
    const handle = this.handles.get(record.id);
    return describeDatabase(this.deps.config, record, handle, {
      syncing: this.deps.syncActivity.progress(record.id).inProgress,
      sourceHalt: this.deps.syncActivity.sourceHalt(record.id),
    });
  }

  private requireHandle(id: string): DatabaseHandle {
    const handle = this.handles.get(id);
    if (!handle) throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: id, hint: '; GET /api/databases lists the configured ids' });
    return handle;
  }

  private requireRecord(id: string): DatabaseRecord {
    const record = this.deps.registry.get(id);
    if (!record) throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: id, hint: '; GET /api/databases lists the configured ids' });
    return record;
  }
}

function checkName(value: string): string {
  const problem =
    value.trim() === ''
      ? 'must not be empty or blank'
      : value.length > MAX_NAME_LENGTH
        ? `is ${value.length} characters long; use at most ${MAX_NAME_LENGTH}`
        : /\p{Cc}/u.test(value)
          ? 'contains a control character; use printable characters only'
          : null;
  if (problem === null) return value;
  throw new DucklingError(
    'DUCKLING_VALIDATION_FAILED',
    { detail: `body.name ${problem}` },
    { extra: { details: [{ field: 'body.name', message: problem }] } },
  );
}

async function closeHandle(handle: DatabaseHandle): Promise<void> {
  await handle.source?.close();
  await handle.replica?.close();
}
