import path from 'node:path';
import type { Config } from '../config/index.js';
import { recoverUnfinishedRestore } from '../backup/index.js';
import { errorMessage } from '../errors/index.js';
import type { DatabaseHandle } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { DatabaseRecord, DatabaseRegistry } from '../registry/index.js';
import { Replica } from '../replica/index.js';
import { SourceDatabase } from '../source/index.js';
import type { DatabaseSyncOptions } from '../sync/types.js';
import { replicaShare, type ReplicaShare } from './resources.js';
import { DUCKLING_VERSION } from './version.js';

/** How long to wait for a replica file that another process holds locked. */
export interface LockRetryPolicy {
  intervalMs: number;
  timeoutMs: number;
}

export const DEFAULT_LOCK_RETRY: LockRetryPolicy = { intervalMs: 2_000, timeoutMs: 60_000 };

/**
 * Opens every database of the registry in parallel. A replica that cannot be opened is marked
 * unavailable (its routes return 503) and the others continue; a connection string that cannot be
 * used leaves the replica readable and only its syncs fail. Returns the handles and the memory
 * and thread share each replica got, which databases added later get too.
 */
export async function openDatabases(deps: {
  config: Config;
  logger: Logger;
  registry: DatabaseRegistry;
  lockRetry: LockRetryPolicy;
}): Promise<{ handles: DatabaseHandle[]; share: ReplicaShare }> {
  const records = deps.registry.list();
  const share = replicaShare(deps.config, records.length);
  deps.logger.info({ databases: records.length, memoryLimitBytes: share.memoryLimitBytes, threads: share.threads }, 'opening replicas');

  const handles = await Promise.all(records.map((record) => openDatabase({ ...deps, record, share })));
  return { handles, share };
}

/** Opens one database's replica (retrying a locked file) and creates its source pool. */
export async function openDatabase(deps: {
  config: Config;
  logger: Logger;
  registry: DatabaseRegistry;
  lockRetry: LockRetryPolicy;
  record: DatabaseRecord;
  share: ReplicaShare;
}): Promise<DatabaseHandle> {
  const { record } = deps;
  // Replica and SourceDatabase add `databaseId` to their own child loggers, so they get the
  // parent; a second binding would print the key twice.
  const logger = deps.logger.child({ databaseId: record.id });
  const filePath = deps.registry.replicaPath(record);
  const opened = await openRecoveredReplica({ ...deps, logger, componentLogger: deps.logger, filePath });
  const source = createSource(deps.config, deps.logger, logger, record);
  return {
    id: record.id,
    name: record.name,
    excludedTables: mergeExcluded(deps.config.sync.excludedTables, record.sync?.excludedTables),
    syncOptions: syncOptionsOf(record),
    replica: opened.replica,
    unavailableReason: opened.reason,
    source: source.source,
    sourceError: source.error,
  };
}

export interface ReplicaOpenOptions {
  config: Config;
  logger: Logger;
  componentLogger: Logger;
  record: DatabaseRecord;
  filePath: string;
  share: ReplicaShare;
  lockRetry: LockRetryPolicy;
}

/**
 * Resolves an unfinished restore of the replica file first, then opens it. A restored file that
 * does not open is replaced by the previous one, which is then opened instead.
 */
async function openRecoveredReplica(options: ReplicaOpenOptions): Promise<{ replica: Replica | null; reason: string | null }> {
  const { logger, filePath } = options;
  let plan;
  try {
    plan = await recoverUnfinishedRestore(filePath, logger);
  } catch (error) {
    logger.error({ err: error, file: filePath }, 'resolving an unfinished restore failed; database marked unavailable');
    return { replica: null, reason: `resolving an unfinished restore of ${path.basename(filePath)} failed: ${errorMessage(error)}` };
  }
  if (plan.kind === 'unavailable') {
    logger.error({ file: filePath, reason: plan.reason }, 'replica file missing after an unfinished restore; database marked unavailable');
    return { replica: null, reason: plan.reason };
  }

  const opened = await openReplicaWithRetry(options);
  if (plan.kind !== 'open-restored') return opened;
  if (opened.replica) {
    await plan.commit();
    return opened;
  }
  await plan.rollback();
  return openReplicaWithRetry(options);
}

/** Opens a replica file, retrying while another process holds its lock; returns the reason on failure. */
export async function openReplicaWithRetry(options: ReplicaOpenOptions): Promise<{ replica: Replica | null; reason: string | null }> {
  const { config, logger, componentLogger, record, filePath, share, lockRetry } = options;
  const deadline = Date.now() + lockRetry.timeoutMs;
  for (let attempt = 1; ; attempt += 1) {
    try {
      const replica = await Replica.create({
        databaseId: record.id,
        filePath,
        maxReaders: config.duckdb.maxConnections,
        ducklingVersion: DUCKLING_VERSION,
        logger: componentLogger,
        tempDirectory: path.join(config.duckdb.tempDirectory, record.id),
        memoryLimitBytes: share.memoryLimitBytes,
        threads: share.threads,
        maxTempDirectorySize: config.duckdb.maxTempDirectorySize,
        preserveInsertionOrder: config.duckdb.preserveInsertionOrder,
      });
      return { replica, reason: null };
    } catch (error) {
      const message = errorMessage(error);
      if (isLockConflict(message) && Date.now() + lockRetry.intervalMs <= deadline) {
        logger.warn({ err: error, file: filePath, attempt, retryInMs: lockRetry.intervalMs }, 'replica file is locked; retrying');
        await sleep(lockRetry.intervalMs);
        continue;
      }
      logger.error({ err: error, file: filePath, attempt }, 'replica could not be opened; database marked unavailable');
      return { replica: null, reason: `opening ${path.basename(filePath)} failed: ${message}` };
    }
  }
}

export function createSource(
  config: Config,
  componentLogger: Logger,
  logger: Logger,
  record: DatabaseRecord,
): { source: SourceDatabase | null; error: Error | null } {
  if (record.mysqlConnectionString.trim() === '') return { source: null, error: null };
  try {
    const source = SourceDatabase.create({
      databaseId: record.id,
      connectionString: record.mysqlConnectionString,
      config,
      logger: componentLogger,
    });
    return { source, error: null };
  } catch (error) {
    logger.error({ err: error }, 'source connection string is unusable; syncs of this database will fail');
    return { source: null, error: error instanceof Error ? error : new Error(String(error)) };
  }
}

/** DuckDB reports a file held by another process as "Could not set lock on file" (DuckDB 1.5). */
function isLockConflict(message: string): boolean {
  return /could not set lock/i.test(message);
}

export function mergeExcluded(global: readonly string[], own: readonly string[] | undefined): string[] {
  return [...new Set([...global, ...(own ?? [])])];
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The per-database incremental settings of a record, already checked by the registry. */
export function syncOptionsOf(record: DatabaseRecord): DatabaseSyncOptions {
  const sync = record.sync ?? {};
  return {
    ...(sync.watermarkColumns ? { watermarkColumns: sync.watermarkColumns } : {}),
    ...(sync.appendOnlyTables ? { appendOnlyTables: sync.appendOnlyTables } : {}),
    ...(sync.lookbackSeconds !== undefined ? { lookbackSeconds: sync.lookbackSeconds } : {}),
  };
}
