import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { AuditLog } from '../audit/index.js';
import { createAuthServices, type AuthAttemptGuard, type AuthServices } from '../auth/index.js';
import { BackupScheduler, BackupService, type RestoreCrashPoint } from '../backup/index.js';
import type { Config } from '../config/index.js';
import { DucklingError } from '../errors/index.js';
import { createHttpServer, type DatabaseHandle, type Readiness } from '../http/index.js';
import type { Logger } from '../logging/index.js';
import type { ErrorReporter } from '../observability/sentry.js';
import { QueryService } from '../query/query-service.js';
import { createAuthAttemptGuard, RateLimiter, readRateLimitSettings } from '../ratelimit/index.js';
import { TableService } from '../query/table-service.js';
import { DatabaseRegistry } from '../registry/index.js';
import { Recovery, SyncScheduler } from '../scheduler/index.js';
import { readRecordedIdentity, SyncService } from '../sync/index.js';
import { evaluateFindings, evaluateRegistryFindings, SecurityFindings, summarizeRegistry } from '../security/index.js';
import { auditScheduledRuns, auditTableDrop } from './audited-sync.js';
import { registryKeyRecords } from './database-key-records.js';
import { S3BackupService } from '../backup/s3/s3-backup-service.js';
import { S3SettingsService } from '../backup/s3/s3-settings-service.js';
import { DatabaseManager } from './database-manager.js';
import { HealthMonitor } from './health-monitor.js';
import { RestoreAwareSyncService } from './restore-aware-sync.js';
import { DEFAULT_LOCK_RETRY, type LockRetryPolicy } from './open-databases.js';
import { DUCKLING_VERSION } from './version.js';

/** In-flight HTTP requests get this long to finish at shutdown before their connections are cut. */
const HTTP_DRAIN_TIMEOUT_MS = 10_000;
/** Running syncs get this long to stop at their next flush with their sessions resumable. */
const SYNC_STOP_TIMEOUT_MS = 30_000;

export interface DucklingOptions {
  logger: Logger;
  /** Waiting for a replica file locked by another process; tests shorten it. */
  lockRetry?: LockRetryPolicy;
  /** Scheduled sync period in ms instead of `SYNC_INTERVAL_MINUTES`; tests shorten it. */
  scheduleIntervalMs?: number;
  /** Delay of the first scheduled run instead of 5 s; tests shorten it. */
  firstScheduledRunDelayMs?: number;
  /** Scheduled reconciliation period in ms instead of `RECONCILE_INTERVAL_MINUTES`; tests shorten it. */
  reconcileIntervalMs?: number;
  /** Health monitor period in ms instead of `HEALTH_CHECK_INTERVAL`; tests shorten it. */
  healthCheckIntervalMs?: number;
  /** Receives the errors behind 5xx responses (Sentry, started by `serve`). */
  errorReporter?: ErrorReporter;
  /** Charges login attempts and failed credentials; default: the rate limiter's `auth` budget. */
  attemptGuard?: AuthAttemptGuard;
  /** Scheduled backup period in ms instead of `BACKUP_INTERVAL_HOURS`; tests shorten it. */
  backupIntervalMs?: number;
  /** Test-only: the restore step at which the process kills itself with SIGKILL. */
  restoreCrashAt?: RestoreCrashPoint;
  /** Keys per S3 listing page instead of 1000; tests lower it to cross pages. */
  s3ListPageSize?: number;
}

export interface Duckling {
  /** Loads the registry, opens the databases and starts listening; throws when startup must stop. */
  start(): Promise<void>;
  /** Stops in the order of a graceful shutdown; safe to call more than once. */
  stop(): Promise<void>;
  /** `http://host:port` once listening, else null. */
  readonly httpAddress: string | null;
}

type Phase = 'created' | 'starting' | 'running' | 'stopping' | 'stopped';

/**
 * Builds every component from the settings (the composition root); `start` starts them in order
 * and `stop` stops them in reverse.
 */
export function createDuckling(config: Config, options: DucklingOptions): Duckling {
  const logger = options.logger;
  let databases: DatabaseManager | null = null;
  const directory = { get: (id: string) => databases?.get(id), list: () => databases?.list() ?? [] };
  const audit = new AuditLog(logger.child({ subsystem: 'audit' }));
  const syncService = new RestoreAwareSyncService({
    config,
    logger,
    onTableDropped: (drop) => auditTableDrop(audit, drop),
    // A restore replaces the file a sync would write, so no run starts while one is in progress.
    assertCanRun: (databaseId) => {
      if (backups.guard.current(databaseId) !== 'restore') return;
      throw new DucklingError('DUCKLING_BACKUP_IN_PROGRESS', { operation: 'restore', db: databaseId });
    },
  });
  const backups: BackupService = new BackupService({
    databases: directory,
    restorableReplica: (id) => requireDatabases().restorableReplica(id),
    recordedIdentity: readRecordedIdentity,
    syncActivity: syncService,
    backupRoot: config.backup.path,
    retentionDays: config.backup.retentionDays,
    scratchSettings: (id, name) => ({
      tempDirectory: path.join(config.duckdb.tempDirectory, id, `verify-${name}`),
      memoryLimitBytes: requireDatabases().replicaShare.memoryLimitBytes,
      threads: requireDatabases().replicaShare.threads,
    }),
    ducklingVersion: DUCKLING_VERSION,
    logger,
    audit,
    restoreCrashAt: options.restoreCrashAt ?? null,
  });
  const backupScheduler = new BackupScheduler({
    databases: directory,
    backups,
    intervalMs: options.backupIntervalMs ?? config.backup.intervalHours * 3_600_000,
    logger,
  });
  const requireDatabases = (): DatabaseManager => {
    if (!databases) throw new DucklingError('DUCKLING_NOT_READY', { detail: 'the databases are not open yet' });
    return databases;
  };
  const queryService = new QueryService({ config, logger });
  const tableService = new TableService({ config, queryService });
  const security = new SecurityFindings(logger.child({ subsystem: 'security' }), audit);
  const scheduler = new SyncScheduler({
    databases: directory,
    sync: auditScheduledRuns(syncService, audit),
    logger,
    intervalMs: options.scheduleIntervalMs ?? config.sync.intervalMinutes * 60_000,
    incremental: config.sync.incrementalEnabled,
    reconcileIntervalMs: options.reconcileIntervalMs ?? config.sync.reconcileIntervalMinutes * 60_000,
    ...(options.firstScheduledRunDelayMs !== undefined ? { firstRunDelayMs: options.firstScheduledRunDelayMs } : {}),
  });
  const recovery = new Recovery({
    databases: directory,
    sync: syncService,
    schedule: scheduler,
    logger,
    enabled: config.health.autoRestart && config.health.checksEnabled,
    maxAttempts: config.health.maxRestartAttempts,
  });
  const health = new HealthMonitor({
    databases: directory,
    logger,
    syncActivity: syncService,
    backupActivity: (databaseId) => backups.guard.current(databaseId),
    intervalMs: config.health.checksEnabled ? (options.healthCheckIntervalMs ?? config.health.checkIntervalMs) : 0,
    afterCheck: (databaseId) => recovery.evaluate(databaseId),
  });

  let phase: Phase = 'created';
  let rateLimiter: RateLimiter | null = null;
  let server: FastifyInstance | null = null;
  let auth: AuthServices | null = null;
  let httpAddress: string | null = null;
  let stopping: Promise<void> | null = null;

  const readiness = (): Readiness => {
    if (phase === 'running') {
      const restoring = directory.list().filter((handle) => handle.restoring).map((handle) => `restoring database "${handle.id}"`);
      return { ready: restoring.length === 0, reasons: restoring };
    }
    if (phase === 'stopping' || phase === 'stopped') return { ready: false, reasons: ['shutting down'] };
    return { ready: false, reasons: ['starting'] };
  };

  async function start(): Promise<void> {
    if (phase !== 'created') throw new Error(`Duckling cannot start: it is ${phase}`);
    phase = 'starting';
    logger.info({ dataPath: config.dataPath }, 'duckling starting');
    try {
      await mkdir(config.dataPath, { recursive: true });
      const registry = await DatabaseRegistry.load({ config, logger });
      // Throws FatalFindingsError before any replica or listener opens.
      security.reportStartup(evaluateFindings(config, summarizeRegistry(registry.list())));
      // Databases added, changed or deleted through the API change the registry findings at once.
      registry.onWritten((records) => security.replaceRegistryFindings(evaluateRegistryFindings(config, summarizeRegistry(records))));
      databases = await DatabaseManager.open({
        config,
        logger,
        registry,
        lockRetry: options.lockRetry ?? DEFAULT_LOCK_RETRY,
        syncActivity: syncService,
        operations: backups.guard,
        onChange: {
          added: (id) => scheduler.add(id),
          removed: (id) => {
            scheduler.remove(id);
            recovery.remove(id);
          },
        },
      });
      // In the background, so a slow source does not delay the start.
      void verifySources(directory.list(), syncService, logger);
      rateLimiter = await RateLimiter.create({
        settings: readRateLimitSettings(config),
        logger: logger.child({ subsystem: 'ratelimit' }),
        audit,
      });
      auth = await createAuthServices({
        config,
        logger,
        keyRecords: registryKeyRecords(registry),
        attemptGuard: options.attemptGuard ?? createAuthAttemptGuard(rateLimiter),
      });

      const s3StoreOptions = options.s3ListPageSize !== undefined ? { listPageSize: options.s3ListPageSize } : {};
      const s3Settings = new S3SettingsService({ registry, logger, storeOptions: s3StoreOptions });
      const s3Backups = new S3BackupService({ backups, settings: s3Settings, audit, logger, storeOptions: s3StoreOptions });
      s3Backups.register();

      server = await createHttpServer({
        config,
        logger,
        version: DUCKLING_VERSION,
        startedAtMs: Date.now(),
        databases: directory,
        databaseAdmin: databases,
        sync: syncService,
        query: queryService,
        tables: tableService,
        health,
        s3Settings,
        s3Backups,
        backups,
        audit,
        automation: {
          get isRunning() {
            return scheduler.isRunning;
          },
          start: () => scheduler.start(),
          stop: () => scheduler.stop(),
          describe: (id) => scheduler.describe(id),
          describeReconcile: (id) => scheduler.describeReconcile(id),
          describeRecovery: (id) => recovery.describe(id),
        },
        security,
        rateLimiter,
        ...(options.errorReporter ? { errors: options.errorReporter } : {}),
        auth,
        readiness,
      });
      await server.listen({ port: config.port, host: config.host });
      httpAddress = formatAddress(server.server.address() as AddressInfo);
      // Scheduled runs start only once the API that reports them is up.
      if (config.sync.autoStart) scheduler.start();
      health.start();
      if (config.backup.autoBackup) backupScheduler.start();
    } catch (error) {
      logger.error({ err: error }, 'duckling failed to start');
      await stop();
      throw error;
    }
    phase = 'running';
    logger.info({ httpAddress, databases: directory.list().map((db) => db.id) }, 'duckling started');
  }

  function stop(): Promise<void> {
    stopping ??= shutDown();
    return stopping;
  }

  async function shutDown(): Promise<void> {
    phase = 'stopping';
    logger.info('duckling stopping');

    // No scheduled or recovery run may start while the rest shuts down.
    scheduler.stop();
    await health.stop();
    recovery.close();
    await backupScheduler.stop();

    if (server) await closeHttpServer(server, logger);
    // A restore still running would reopen its replica after the databases close.
    await withTimeout(backups.guard.whenIdle(), SYNC_STOP_TIMEOUT_MS, () =>
      logger.warn({ timeoutMs: SYNC_STOP_TIMEOUT_MS }, 'backups or restores still running at shutdown'),
    );
    await auth?.close();
    await withTimeout(syncService.shutdown(), SYNC_STOP_TIMEOUT_MS, () =>
      logger.warn({ timeoutMs: SYNC_STOP_TIMEOUT_MS }, 'syncs did not stop in time; their sessions resume at the next start'),
    );
    await queryService.shutdown();
    await rateLimiter?.close();
    await databases?.closeAll();

    phase = 'stopped';
    httpAddress = null;
    logger.info('duckling stopped');
  }

  return {
    start,
    stop,
    get httpAddress() {
      return httpAddress;
    },
  };
}

/**
 * Compares each database's source identity with the one its replica recorded, so a source changed
 * while Duckling was stopped (a hand-edited databases.json) halts that database's syncs before its
 * first run. A source that cannot be reached now is checked again at the start of each run.
 */
async function verifySources(handles: readonly DatabaseHandle[], sync: SyncService, logger: Logger): Promise<void> {
  for (const handle of handles) {
    if (!handle.replica || !handle.source) continue;
    const target = { databaseId: handle.id, replica: handle.replica, source: handle.source, excludedTables: handle.excludedTables };
    try {
      const outcome = await sync.verifySource(target);
      logger.info({ databaseId: handle.id, outcome }, 'source identity checked');
    } catch (error) {
      logger.warn({ err: error, databaseId: handle.id }, 'source identity check at start failed; each run checks it again');
    }
  }
}

/** Stops accepting connections and waits for in-flight requests, cutting them off after the drain timeout. */
async function closeHttpServer(server: FastifyInstance, logger: Logger): Promise<void> {
  await withTimeout(server.close(), HTTP_DRAIN_TIMEOUT_MS, () => {
    logger.warn({ timeoutMs: HTTP_DRAIN_TIMEOUT_MS }, 'HTTP requests did not finish in time; closing their connections');
    server.server.closeAllConnections();
  });
}

/** Waits for `promise`, or calls `onTimeout` and returns once `timeoutMs` passed. */
async function withTimeout(promise: Promise<unknown>, timeoutMs: number, onTimeout: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const settled = promise.then(() => 'done' as const);
  // A rejection after the timeout is not awaited by anyone, so it is marked handled here; the
  // component that failed logs it.
  settled.catch(() => undefined);
  try {
    const outcome = await Promise.race([settled, timedOut]);
    if (outcome === 'timeout') onTimeout();
  } finally {
    clearTimeout(timer);
  }
}

function formatAddress(address: AddressInfo): string {
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${host}:${address.port}`;
}
