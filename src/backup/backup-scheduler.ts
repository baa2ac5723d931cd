import { isDucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import type { LocalBackupResult } from './service.js';

/** Maximum delay of one `setTimeout` (2³¹ − 1 ms, about 24.8 days); a longer wait takes several timers. */
const MAX_TIMER_DELAY_MS = 2 ** 31 - 1;

export interface BackupSchedulerOptions {
  databases: { list(): readonly { readonly id: string; readonly replica: unknown }[] };
  backups: { createLocalBackup(databaseId: string): Promise<LocalBackupResult> };
  /** Period between scheduled backups (`BACKUP_INTERVAL_HOURS`); tests shorten it. */
  intervalMs: number;
  logger: Logger;
}

/**
 * Takes a local backup of every open database once per period, the first one period after
 * `start`. Databases are backed up one after another. A database whose backup or restore is
 * already running skips the turn, which is logged.
 */
export class BackupScheduler {
  private timer: NodeJS.Timeout | null = null;
  private running = false;
  private turn: Promise<void> | null = null;
  private readonly lastBackupAt = new Map<string, string>();
  private readonly logger: Logger;

  constructor(private readonly options: BackupSchedulerOptions) {
    this.logger = options.logger.child({ subsystem: 'backup-scheduler' });
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.armUntil(Date.now() + this.options.intervalMs);
    this.logger.info({ intervalMs: this.options.intervalMs }, 'backup schedule started');
  }

  /** Stops the timer and waits for a scheduled turn in progress to end. */
  async stop(): Promise<void> {
    this.running = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.turn;
  }

  get isRunning(): boolean {
    return this.running;
  }

  /** Returns the time of the database's last successful scheduled backup (ISO 8601), or null. */
  lastScheduledBackupAt(databaseId: string): string | null {
    return this.lastBackupAt.get(databaseId) ?? null;
  }

  private armUntil(dueAtMs: number): void {
    const delayMs = Math.min(Math.max(0, dueAtMs - Date.now()), MAX_TIMER_DELAY_MS);
    this.timer = setTimeout(() => {
      if (!this.running) return;
      if (Date.now() < dueAtMs) {
        this.armUntil(dueAtMs);
        return;
      }
      this.turn = this.backUpAll().finally(() => {
        this.turn = null;
        // The next turn is counted from when this one was due, so a slow turn does not shift the period.
        if (this.running) this.armUntil(Math.max(dueAtMs + this.options.intervalMs, Date.now()));
      });
    }, delayMs);
  }

  private async backUpAll(): Promise<void> {
    for (const database of this.options.databases.list()) {
      if (!this.running) return;
      if (database.replica === null) {
        this.logger.warn({ databaseId: database.id }, 'scheduled backup skipped: the replica is not open');
        continue;
      }
      try {
        const result = await this.options.backups.createLocalBackup(database.id);
        this.lastBackupAt.set(database.id, result.manifest.createdAt);
      } catch (error) {
        if (isDucklingError(error) && error.statusCode === 409) {
          this.logger.info({ databaseId: database.id, reason: error.message }, 'scheduled backup skipped');
        } else {
          this.logger.error({ err: error, databaseId: database.id }, 'scheduled backup failed');
        }
      }
    }
  }
}
