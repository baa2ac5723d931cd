import { SyncService } from '../sync/index.js';
import type { ReconcileOptions, ReconcileReport } from '../sync/reconcile-types.js';
import type { FullRunOptions, IncrementalRunOptions, SyncRunHandle, SyncTarget, TableSyncOptions, TableSyncResult } from '../sync/types.js';

/**
 * The sync service, plus a check before every run, single-table sync and clear-all: a restore
 * replaces the replica file that they would write, so `assertCanRun` throws while one runs.
 */
export class RestoreAwareSyncService extends SyncService {
  private readonly assertCanRun: (databaseId: string) => void;

  constructor(deps: ConstructorParameters<typeof SyncService>[0] & { assertCanRun: (databaseId: string) => void }) {
    super(deps);
    this.assertCanRun = deps.assertCanRun;
  }

  override startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle {
    this.assertCanRun(target.databaseId);
    return super.startFullRun(target, options);
  }

  override startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle {
    this.assertCanRun(target.databaseId);
    return super.startIncrementalRun(target, options);
  }

  override startReconcileRun(target: SyncTarget, options: ReconcileOptions): { runId: string; completion: Promise<ReconcileReport> } {
    this.assertCanRun(target.databaseId);
    return super.startReconcileRun(target, options);
  }

  override syncTable(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult> {
    this.assertCanRun(target.databaseId);
    return super.syncTable(target, table, options);
  }

  override clearAll(target: Pick<SyncTarget, 'databaseId' | 'replica'>): Promise<string[]> {
    this.assertCanRun(target.databaseId);
    return super.clearAll(target);
  }
}
