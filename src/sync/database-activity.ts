import { DucklingError } from '../errors/index.js';
import type { ProgressRunType } from './types.js';

interface ActiveRun {
  runId: string;
  /** `clear-all` holds the per-database guard while the replica's tables are dropped. */
  type: ProgressRunType | 'clear-all';
  completion: Promise<unknown>;
}

/**
 * The work running per database: at most one run (full, incremental, reconcile or clear-all) as
 * the per-database guard, any number of single-table syncs, and the databases asked to stop.
 */
export class DatabaseActivity {
  private readonly runs = new Map<string, ActiveRun>();
  private readonly tableSyncs = new Map<string, Set<Promise<unknown>>>();
  private readonly stopping = new Set<string>();

  /** Throws 409 DUCKLING_SYNC_IN_PROGRESS while a run of the database holds the guard. */
  assertNoRun(databaseId: string): void {
    const running = this.runs.get(databaseId);
    if (running) {
      throw new DucklingError('DUCKLING_SYNC_IN_PROGRESS', { runType: running.type, db: databaseId, runId: running.runId });
    }
  }

  /** Throws 409 DUCKLING_SYNC_IN_PROGRESS while a run or a single-table sync of the database is going. */
  assertIdle(databaseId: string): void {
    this.assertNoRun(databaseId);
    if (this.tableSyncs.has(databaseId)) {
      throw new DucklingError('DUCKLING_SYNC_IN_PROGRESS', { runType: 'single-table', db: databaseId, runId: 'of POST /api/sync/table' });
    }
  }

  /** Returns the completion of the run that holds the database's guard, or null when none does. */
  runCompletion(databaseId: string): Promise<unknown> | null {
    return this.runs.get(databaseId)?.completion ?? null;
  }

  /** Holds the guard until `completion` settles; the caller checked `assertNoRun` first. */
  addRun(databaseId: string, run: ActiveRun): void {
    this.runs.set(databaseId, run);
    const release = () => {
      if (this.runs.get(databaseId) === run) this.runs.delete(databaseId);
      this.settleStop(databaseId);
    };
    run.completion.then(release, release);
  }

  /** Tracks a single-table sync until `work` settles. */
  addTableSync(databaseId: string, work: Promise<unknown>): void {
    const running = this.tableSyncs.get(databaseId) ?? new Set<Promise<unknown>>();
    running.add(work);
    this.tableSyncs.set(databaseId, running);
    const release = () => {
      running.delete(work);
      if (running.size === 0 && this.tableSyncs.get(databaseId) === running) this.tableSyncs.delete(databaseId);
      this.settleStop(databaseId);
    };
    work.then(release, release);
  }

  /** True once `requestStop` was called for the database, until its last work ended. */
  isStopping(databaseId: string): boolean {
    return this.stopping.has(databaseId);
  }

  /** Asks the database's work to stop at its next flush; returns that work, empty when nothing runs. */
  requestStop(databaseId: string): Promise<unknown>[] {
    const pending = this.pending(databaseId);
    if (pending.length > 0) this.stopping.add(databaseId);
    return pending;
  }

  /** Returns the completions of every run and single-table sync of all databases. */
  allPending(): Promise<unknown>[] {
    const databaseIds = new Set([...this.runs.keys(), ...this.tableSyncs.keys()]);
    return [...databaseIds].flatMap((databaseId) => this.pending(databaseId));
  }

  private pending(databaseId: string): Promise<unknown>[] {
    const run = this.runs.get(databaseId);
    return [...(run ? [run.completion] : []), ...(this.tableSyncs.get(databaseId) ?? [])];
  }

  private settleStop(databaseId: string): void {
    if (this.stopping.has(databaseId) && this.pending(databaseId).length === 0) this.stopping.delete(databaseId);
  }
}
