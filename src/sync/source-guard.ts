import { DucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { SourceIdentity } from '../source/index.js';
import { describeIdentityChange, readRecordedIdentity, recordIdentity } from './source-identity.js';
import type { SyncTarget } from './types.js';

/** Remedy for a database whose source changed, in its error message; `{db}` is the database id. */
const HALT_REMEDY =
  'its syncs are halted. If the new source is intended, send PUT /api/databases/{db}?resync=true or DELETE /api/sync/clear-all?db={db} so the next sync reloads the replica from it; otherwise restore the old connection string in databases.json and restart';

/**
 * Halts the syncs of a database whose source is not the one its replica was copied from, as
 * recorded in `_duckling.meta` (schema, flavour and server identity). A halt lasts until `release`,
 * which a resync or a clear-all calls, or until the process restarts and the check runs again.
 */
export class SourceGuard {
  private readonly halted = new Map<string, string>();

  constructor(private readonly logger: Logger) {}

  /** Throws 409 DUCKLING_SOURCE_CHANGED while the database is halted. */
  assertNotHalted(databaseId: string): void {
    const change = this.halted.get(databaseId);
    if (change !== undefined) throw sourceChangedError(databaseId, change);
  }

  /** Returns the difference that halted the database, or null when it is not halted. */
  haltReason(databaseId: string): string | null {
    return this.halted.get(databaseId) ?? null;
  }

  /**
   * Reads the source's identity and compares it with the recorded one. On a mismatch it halts the
   * database and throws 409 DUCKLING_SOURCE_CHANGED. Source errors (502) propagate unchanged.
   * Returns the current identity and whether the replica had one recorded.
   */
  async check(target: SyncTarget): Promise<{ identity: SourceIdentity; recorded: boolean }> {
    const identity = await target.source.identify();
    const recorded = await readRecordedIdentity(target.replica);
    const change = recorded === null ? null : describeIdentityChange(recorded, identity);
    if (change === null) return { identity, recorded: recorded !== null };

    if (!this.halted.has(target.databaseId)) {
      this.logger.warn({ databaseId: target.databaseId, change }, 'source identity changed; syncs of the database are halted');
    }
    this.halted.set(target.databaseId, change);
    throw sourceChangedError(target.databaseId, change);
  }

  /** Records `identity` when the replica has none yet. A failure is logged and not thrown, because the sync itself succeeded. */
  async recordIfMissing(target: SyncTarget, identity: SourceIdentity): Promise<void> {
    try {
      if ((await readRecordedIdentity(target.replica)) !== null) return;
      await recordIdentity(target.replica, identity);
    } catch (error) {
      this.logger.warn({ err: error, databaseId: target.databaseId }, 'recording the source identity failed');
    }
  }

  /** Lifts the halt of a database; returns true when it was halted. */
  release(databaseId: string): boolean {
    const wasHalted = this.halted.delete(databaseId);
    if (wasHalted) this.logger.info({ databaseId }, 'source halt released');
    return wasHalted;
  }
}

function sourceChangedError(databaseId: string, change: string): DucklingError {
  return new DucklingError('DUCKLING_SOURCE_CHANGED', {
    subject: 'connection string',
    db: databaseId,
    detail: change,
    remedy: HALT_REMEDY.replaceAll('{db}', databaseId),
  });
}
