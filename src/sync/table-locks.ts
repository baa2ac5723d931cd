/** Per-table load locks: one load of a table at a time, across runs and single-table syncs. */
export class TableLocks {
  private readonly held = new Set<string>();

  /** Takes the lock and returns true, or returns false when another load holds it. */
  tryAcquire(databaseId: string, table: string): boolean {
    const key = lockKey(databaseId, table);
    if (this.held.has(key)) return false;
    this.held.add(key);
    return true;
  }

  release(databaseId: string, table: string): void {
    this.held.delete(lockKey(databaseId, table));
  }

  isHeld(databaseId: string, table: string): boolean {
    return this.held.has(lockKey(databaseId, table));
  }
}

function lockKey(databaseId: string, table: string): string {
  return JSON.stringify([databaseId, table]);
}
