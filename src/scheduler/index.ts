export {
  FIRST_RUN_DELAY_MS,
  SyncScheduler,
  type ScheduleDirectory,
  type ScheduledDatabase,
  type SchedulerOptions,
  type ScheduleSyncPort,
  type ScheduleView,
} from './sync-scheduler.js';
