import { DucklingError } from '../errors/index.js';
import type { SyncProgress } from '../sync/types.js';

export type GuardedOperation = 'backup' | 'restore';

/**
 * Allows one backup or restore per database at a time. A running sync does not stop a backup
 * (the backup pauses its loads), but it stops a restore, which replaces the file the sync writes.
 */
export class DatabaseOperationGuard {
  private readonly running = new Map<string, GuardedOperation>();
  private readonly tasks = new Set<Promise<unknown>>();

  constructor(private readonly syncActivity: { progress(databaseId: string): SyncProgress }) {}

  /**
   * Runs `task` as the database's only backup or restore. Throws 409 DUCKLING_BACKUP_IN_PROGRESS
   * when another one runs, and for a restore 409 DUCKLING_SYNC_IN_PROGRESS while a sync runs.
   */
  async run<T>(databaseId: string, operation: GuardedOperation, task: () => Promise<T>): Promise<T> {
    this.assertFree(databaseId, operation);
    this.running.set(databaseId, operation);
    const work = task();
    this.tasks.add(work);
    try {
      return await work;
    } finally {
      this.tasks.delete(work);
      this.running.delete(databaseId);
    }
  }

  /** Resolves once every backup and restore running now has ended, successfully or not. */
  async whenIdle(): Promise<void> {
    await Promise.allSettled([...this.tasks]);
  }

  /** Throws the 409 that `run` would throw, without starting anything. */
  assertFree(databaseId: string, operation: GuardedOperation): void {
    const current = this.running.get(databaseId);
    if (current !== undefined) throw new DucklingError('DUCKLING_BACKUP_IN_PROGRESS', { operation: current, db: databaseId });
    if (operation !== 'restore') return;
    const progress = this.syncActivity.progress(databaseId);
    if (progress.inProgress) {
      throw new DucklingError('DUCKLING_SYNC_IN_PROGRESS', { runType: progress.type ?? 'full', db: databaseId, runId: progress.runId ?? 'unknown' });
    }
  }

  /** Returns the backup or restore of the database that runs now, or null. */
  current(databaseId: string): GuardedOperation | null {
    return this.running.get(databaseId) ?? null;
  }
}
