import type { Logger } from '../logging/index.js';
import { SyncService } from '../sync/index.js';
import type { ReconcileOptions, ReconcileReport } from '../sync/reconcile-types.js';
import type { FullRunOptions, IncrementalRunOptions, SyncRunHandle, SyncTarget, TableSyncOptions, TableSyncResult } from '../sync/types.js';
import { readRecordedIdentity, recordIdentity } from './source-identity.js';

/**
 * The sync service, plus recording of the source identity in `_duckling.meta`: after every full
 * run (the replica now mirrors that source), and after a single-table sync when none is recorded
 * yet. The identity check of a changed connection string compares against this record.
 *
 * TODO(sync): a source whose identity differs from the recorded one (a hand-edited databases.json)
 * is synced and then recorded; it should halt the database's syncs with DUCKLING_SOURCE_CHANGED
 * until a resync — needs an identity check in the sync service before each run.
 */
export class IdentityRecordingSyncService extends SyncService {
  private readonly identityLogger: Logger;
  private readonly assertCanRun: (databaseId: string) => void;

  /** `assertCanRun` throws when a run of the database must not start now (a restore replaces its file). */
  constructor(deps: ConstructorParameters<typeof SyncService>[0] & { assertCanRun?: (databaseId: string) => void }) {
    super(deps);
    this.identityLogger = deps.logger.child({ subsystem: 'sync' });
    this.assertCanRun = deps.assertCanRun ?? (() => undefined);
  }

  override startIncrementalRun(target: SyncTarget, options: IncrementalRunOptions): SyncRunHandle {
    this.assertCanRun(target.databaseId);
    return super.startIncrementalRun(target, options);
  }

  override startReconcileRun(target: SyncTarget, options: ReconcileOptions): { runId: string; completion: Promise<ReconcileReport> } {
    this.assertCanRun(target.databaseId);
    return super.startReconcileRun(target, options);
  }

  override startFullRun(target: SyncTarget, options: FullRunOptions): SyncRunHandle {
    this.assertCanRun(target.databaseId);
    const run = super.startFullRun(target, options);
    const completion = run.completion.then(async (stats) => {
      await this.record(target, true);
      return stats;
    });
    // Same contract as the parent: a caller that never awaits the run must not see an unhandled rejection.
    completion.catch(() => undefined);
    return { runId: run.runId, completion };
  }

  override async syncTable(target: SyncTarget, table: string, options: TableSyncOptions): Promise<TableSyncResult> {
    this.assertCanRun(target.databaseId);
    const result = await super.syncTable(target, table, options);
    if (result.status === 'success') await this.record(target, false);
    return result;
  }

  /** Records the identity. A failure is logged and not thrown, because the sync itself already succeeded. */
  private async record(target: SyncTarget, replace: boolean): Promise<void> {
    try {
      if (!replace && (await readRecordedIdentity(target.replica)) !== null) return;
      await recordIdentity(target.replica, await target.source.identify());
    } catch (error) {
      this.identityLogger.warn({ err: error, databaseId: target.databaseId }, 'recording the source identity failed');
    }
  }
}
