import { Type, type FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { DucklingError } from '../../errors/index.js';
import { DatabaseQuery } from '../schemas.js';
import type { HttpDependencies } from '../services.js';

/**
 * `/automation/*` routes, mounted under `/api` and at the root. One scheduler serves all databases,
 * so start and stop act on every database. The status shows the schedule of `?db`.
 */
export const automationRoutes: FastifyPluginAsyncTypebox<{ deps: HttpDependencies }> = async (app, { deps }) => {
  app.get(
    '/automation/status',
    { config: { auth: 'admin', category: 'read', databaseScoped: true }, schema: { querystring: Type.Object(DatabaseQuery) } },
    async (request) => {
      const handle = request.database;
      if (!handle) throw new DucklingError('DUCKLING_INTERNAL', { detail: 'route /automation/status is not declared databaseScoped' });
      const schedule = deps.automation.describe(handle.id);
      return {
        success: true,
        status: {
          isRunning: deps.automation.isRunning,
          sync: {
            enabled: schedule.enabled,
            intervalMinutes: schedule.intervalMinutes,
            lastSyncAt: schedule.lastRunAt,
            nextRunAt: schedule.nextRunAt,
          },
          reconcile: deps.automation.describeReconcile(handle.id),
          autoBackup: {
            enabled: deps.config.backup.autoBackup,
            intervalHours: deps.config.backup.intervalHours,
            retentionDays: deps.config.backup.retentionDays,
            lastBackupAt: await deps.backups.lastBackupAt(handle.id),
          },
          s3Backup: deps.s3Backups.describeAutomation(handle.id),
          autoRestart: deps.automation.describeRecovery(handle.id),
        },
      };
    },
  );

  app.post('/automation/start', { config: { auth: 'admin', category: 'write' } }, async (request) => {
    const wasRunning = deps.automation.isRunning;
    deps.automation.start();
    request.log.info({ wasRunning }, 'scheduler start requested');
    if (wasRunning) return { success: true, message: 'The scheduler was already running' };
    if (deps.config.sync.intervalMinutes === 0) {
      return { success: true, message: 'The scheduler is running, but SYNC_INTERVAL_MINUTES is 0, so no sync is scheduled; set it and restart to schedule syncs' };
    }
    return { success: true, message: 'The scheduler started; the first syncs of the databases are spread over one interval' };
  });

  app.post('/automation/stop', { config: { auth: 'admin', category: 'write' } }, async (request) => {
    const wasRunning = deps.automation.isRunning;
    deps.automation.stop();
    request.log.info({ wasRunning }, 'scheduler stop requested');
    return {
      success: true,
      message: wasRunning
        ? 'The scheduler stopped; a sync already running continues to its end'
        : 'The scheduler was not running',
    };
  });
};
