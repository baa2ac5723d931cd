export { SyncService } from './sync-service.js';
export type {
  SyncTarget,
  SyncTrigger,
  SyncRunType,
  TablePhase,
  TableProgress,
  SyncProgress,
  TableSyncResult,
  SyncRunStats,
  SyncRunHandle,
  FullRunOptions,
  TableSyncOptions,
  SyncLogFilter,
  SyncLogEntry,
  SyncLogPage,
} from './types.js';
