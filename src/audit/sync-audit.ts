import { errorMessage, isDucklingError } from '../errors/index.js';
import { redactText } from '../logging/index.js';
import type { AuditActor, AuditLog } from './audit-log.js';

/** The actor and request behind an audited operation. */
export interface AuditContext {
  actor: AuditActor;
  requestId?: string | null;
  /** Scopes the per-type throttle of the audit log; absent for Duckling's own events. */
  throttleKey?: string;
}

/** A sync run as audit events describe it. */
export interface AuditedRun {
  databaseId: string;
  /** `full`, `incremental`, `reconcile` or `table`. */
  type: string;
  /** Source table of a single-table sync. */
  table?: string;
  trigger: string;
}

/**
 * Records `sync.started` at once and `sync.completed` or `sync.failed` when `completion` settles,
 * then passes the settled value through. A run that ends with failed tables is `sync.completed`
 * with outcome `failure`; `sync.failed` means the run as a whole failed.
 */
export function auditSyncRun<T>(audit: AuditLog, context: AuditContext, run: AuditedRun, runId: string | null, completion: Promise<T>): Promise<T> {
  const target = run.table ? `${run.databaseId}/${run.table}` : run.databaseId;
  const base = { actor: context.actor, target, requestId: context.requestId ?? null, throttleKey: context.throttleKey };
  const detail = { runId, type: run.type, trigger: run.trigger };
  audit.record({ ...base, event: 'sync.started', outcome: 'success', detail });

  const audited = completion.then(
    (result) => {
      const failedTables = countFailedTables(result);
      audit.record({ ...base, event: 'sync.completed', outcome: failedTables > 0 ? 'failure' : 'success', detail: { ...detail, failedTables } });
      return result;
    },
    (error: unknown) => {
      const code = isDucklingError(error) ? error.code : 'DUCKLING_INTERNAL';
      audit.record({ ...base, event: 'sync.failed', outcome: 'failure', detail: { ...detail, code, error: redactText(errorMessage(error)) } });
      throw error;
    },
  );
  // Callers of async runs never await the completion, and the run's own failure is logged elsewhere.
  audited.catch(() => undefined);
  return audited;
}

/** Failed tables of run stats (`failedTables`) or of a single-table result (`status: 'error'`). */
function countFailedTables(result: unknown): number {
  if (!result || typeof result !== 'object') return 0;
  const record = result as { failedTables?: unknown; status?: unknown };
  if (typeof record.failedTables === 'number') return record.failedTables;
  return record.status === 'error' ? 1 : 0;
}
