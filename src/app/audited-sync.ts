import { auditSyncRun, SYSTEM_ACTOR, type AuditLog } from '../audit/index.js';
import type { ScheduleSyncPort } from '../scheduler/index.js';
import type { TableDrop } from '../sync/full-run.js';
import type { FullRunOptions, IncrementalRunOptions, SyncRunHandle, SyncTarget } from '../sync/types.js';

/**
 * Wraps the sync service for the scheduler so each scheduled run records `sync.started` and its
 * end as audit events, with Duckling itself as the actor. A turn that cannot start records nothing.
 */
export function auditScheduledRuns(sync: ScheduleSyncPort, audit: AuditLog): ScheduleSyncPort {
  const audited = (target: SyncTarget, type: 'full' | 'incremental', trigger: string, run: SyncRunHandle): SyncRunHandle => ({
    runId: run.runId,
    ...(run.started ? { started: run.started } : {}),
    completion: auditSyncRun(audit, { actor: SYSTEM_ACTOR }, { databaseId: target.databaseId, type, trigger }, run.runId, run.completion),
  });
  return {
    startFullRun: (target: SyncTarget, options: FullRunOptions) => audited(target, 'full', options.trigger, sync.startFullRun(target, options)),
    startIncrementalRun: (target: SyncTarget, options: IncrementalRunOptions) =>
      audited(target, 'incremental', options.trigger, sync.startIncrementalRun(target, options)),
    // Reconciliations have no audit event of their own; they pass through unchanged.
    ...(sync.startReconcileRun ? { startReconcileRun: sync.startReconcileRun.bind(sync) } : {}),
    ...(sync.whenRunEnds ? { whenRunEnds: sync.whenRunEnds.bind(sync) } : {}),
  };
}

/** Records `table.dropped` for a table a sync run dropped; the run's `sync.started` event names who triggered it. */
export function auditTableDrop(audit: AuditLog, drop: TableDrop): void {
  audit.record({
    event: 'table.dropped',
    actor: SYSTEM_ACTOR,
    target: `${drop.databaseId}/${drop.table}`,
    outcome: 'success',
    detail: { reason: drop.reason, runId: drop.runId, trigger: drop.trigger },
  });
}
