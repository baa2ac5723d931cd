/** Maximum delay of one `setTimeout` (2³¹ − 1 ms, about 24.8 days). A longer wait takes several timers. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

interface DatabaseTimer {
  timer: NodeJS.Timeout;
  dueAtMs: number;
}

/**
 * One periodic job per database: `onTurn(databaseId)` runs every `intervalMs`, each turn counted
 * from when the previous one was due, so a slow turn does not shift the period. Timers are unref'd,
 * so a pending turn does not keep the process alive.
 */
export class DatabaseTimers {
  private readonly timers = new Map<string, DatabaseTimer>();
  private readonly lastTurnAt = new Map<string, string>();

  constructor(
    private readonly intervalMs: number,
    private readonly onTurn: (databaseId: string) => void,
  ) {}

  /** Arms the first turn of a database `delayMs` from now, replacing a pending one. */
  arm(databaseId: string, delayMs: number): void {
    this.cancel(databaseId);
    this.armUntil(databaseId, Date.now() + delayMs);
  }

  has(databaseId: string): boolean {
    return this.timers.has(databaseId);
  }

  ids(): string[] {
    return [...this.timers.keys()];
  }

  /** Cancels a database's pending turn and clears its last turn; returns true when one was pending. */
  remove(databaseId: string): boolean {
    const pending = this.cancel(databaseId);
    this.lastTurnAt.delete(databaseId);
    return pending;
  }

  /** Cancels every pending turn; the last turn times stay readable. */
  clear(): void {
    for (const entry of this.timers.values()) clearTimeout(entry.timer);
    this.timers.clear();
  }

  /** Start of the database's last turn (ISO 8601), null before the first. */
  lastTurn(databaseId: string): string | null {
    return this.lastTurnAt.get(databaseId) ?? null;
  }

  /** Due time of the database's next turn (ISO 8601), null when none is pending. */
  nextTurn(databaseId: string): string | null {
    const entry = this.timers.get(databaseId);
    return entry ? new Date(entry.dueAtMs).toISOString() : null;
  }

  private cancel(databaseId: string): boolean {
    const entry = this.timers.get(databaseId);
    if (entry) clearTimeout(entry.timer);
    return this.timers.delete(databaseId);
  }

  private armUntil(databaseId: string, dueAtMs: number): void {
    const waitMs = Math.min(Math.max(dueAtMs - Date.now(), 0), MAX_TIMER_DELAY_MS);
    const timer = setTimeout(() => this.fire(databaseId, dueAtMs), waitMs);
    timer.unref();
    this.timers.set(databaseId, { timer, dueAtMs });
  }

  private fire(databaseId: string, dueAtMs: number): void {
    this.timers.delete(databaseId);

    // An interval longer than one timer's maximum delay takes several timers.
    if (Date.now() < dueAtMs) {
      this.armUntil(databaseId, dueAtMs);
      return;
    }

    this.armUntil(databaseId, Math.max(dueAtMs + this.intervalMs, Date.now()));
    this.lastTurnAt.set(databaseId, new Date().toISOString());
    this.onTurn(databaseId);
  }
}
