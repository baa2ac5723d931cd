export {
  FIRST_RUN_DELAY_MS,
  SyncScheduler,
  type ScheduleDirectory,
  type ScheduledDatabase,
  type SchedulerOptions,
  type ScheduleSyncPort,
  type ScheduleView,
} from './sync-scheduler.js';
export { MIN_STALE_WINDOW_MS, Recovery, type RecoveryOptions, type RecoverySchedule, type RecoveryStep, type RecoveryView } from './recovery.js';
export { DatabaseTimers } from './database-timers.js';
