export { SyncService } from './sync-service.js';
export type { ReconcileOptions, ReconcileReport, TableReconcileResult } from './reconcile-types.js';
export type {
  SyncTarget,
  SyncTrigger,
  SyncRunType,
  ProgressRunType,
  TablePhase,
  TableProgress,
  SyncProgress,
  TableSyncResult,
  SyncRunStats,
  SyncRunHandle,
  FullRunOptions,
  TableSyncOptions,
  TableSyncMode,
  IncrementalRunOptions,
  DatabaseSyncOptions,
  WatermarkState,
  SyncLogFilter,
  SyncLogEntry,
  SyncLogPage,
} from './types.js';
export { clearSourceState, describeIdentityChange, readRecordedIdentity, recordIdentity } from './source-identity.js';
