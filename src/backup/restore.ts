import { access, rm } from 'node:fs/promises';
import path from 'node:path';
import { DucklingError, errorMessage } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { fsyncDirectory } from './image.js';
import { fileTimestamp } from './names.js';
import { moveReplicaFiles, removeJournal, removeReplicaFiles, writeJournal } from './restore-journal.js';

/**
 * Steps of the swap at which a test can make the process kill itself with SIGKILL, to prove that
 * a crash at that point recovers to the old or the new file.
 */
export const RESTORE_CRASH_POINTS = ['journal-written', 'live-moved', 'verified-in-place', 'opened'] as const;
export type RestoreCrashPoint = (typeof RESTORE_CRASH_POINTS)[number];

/** Live replica of one database, closed and reopened by the swap; the database manager implements it. */
export interface ReplicaSlot {
  /** Absolute path of the live replica file. */
  readonly filePath: string;
  /**
   * Closes the live replica: new queries already get 503 DUCKLING_DATABASE_RESTORING; running
   * ones may finish for up to the query timeout and are then interrupted. Checkpoints before closing.
   */
  close(): Promise<void>;
  /** Opens the file at `filePath` as the database's replica and serves it; throws when it cannot be opened. */
  open(): Promise<void>;
}

/** `Retry-After` of requests that arrive while their database is being restored. */
const RESTORING_RETRY_AFTER_SEC = 5;

/** Builds the 503 for a request to a database whose replica a restore is swapping. */
export function databaseRestoringError(databaseId: string): DucklingError {
  return new DucklingError('DUCKLING_DATABASE_RESTORING', { db: databaseId }, { headers: { 'retry-after': String(RESTORING_RETRY_AFTER_SEC) } });
}

/** `<file>.restore-<backup id>.tmp`: where a backup is verified, beside the live file. */
export function verifiedImagePath(filePath: string, backupId: string): string {
  return `${filePath}.restore-${backupId}.tmp`;
}

/**
 * Swaps a verified image into place: closes the live replica, writes the journal, moves the live
 * file (and WAL) to `<file>.pre-restore-<timestamp>`, renames the verified file into place and
 * opens it. When the open fails, the previous file is put back, reopened, and 500
 * DUCKLING_RESTORE_FAILED is thrown. After a successful open the previous file is deleted, then
 * the journal. A crash at any step leaves files that `recoverUnfinishedRestore` resolves to the
 * old or the new replica.
 *
 * `verifiedPath` must be in the live file's directory, so the rename is atomic.
 */
export async function swapInVerifiedImage(options: {
  databaseId: string;
  slot: ReplicaSlot;
  verifiedPath: string;
  logger: Logger;
  now?: Date;
  crashAt?: RestoreCrashPoint | null;
}): Promise<void> {
  const { slot, verifiedPath, databaseId } = options;
  const filePath = slot.filePath;
  const directory = path.dirname(filePath);
  if (path.dirname(verifiedPath) !== directory) {
    throw new Error(`verified image ${verifiedPath} must lie in the replica's directory ${directory}`);
  }
  const logger = options.logger.child({ databaseId });
  const previousPath = `${filePath}.pre-restore-${fileTimestamp(options.now ?? new Date())}`;
  const crash = (point: RestoreCrashPoint): void => {
    if (options.crashAt === point) process.kill(process.pid, 'SIGKILL');
  };

  await slot.close();
  await writeJournal(filePath, {
    version: 1,
    databaseId,
    live: path.basename(filePath),
    previous: path.basename(previousPath),
    verified: path.basename(verifiedPath),
    startedAt: new Date().toISOString(),
  });
  crash('journal-written');

  // A database left unavailable by a missing file has no live file to keep.
  const hadLiveFile = await access(filePath).then(() => true, () => false);
  if (hadLiveFile) await moveReplicaFiles(filePath, previousPath);
  crash('live-moved');
  await moveReplicaFiles(verifiedPath, filePath);
  await fsyncDirectory(directory);
  crash('verified-in-place');

  try {
    await slot.open();
  } catch (error) {
    logger.error({ err: error, file: filePath }, 'restored replica did not open; putting the previous file back');
    await removeReplicaFiles(filePath);
    if (hadLiveFile) {
      await moveReplicaFiles(previousPath, filePath);
      await fsyncDirectory(directory);
      await slot.open();
    }
    await removeJournal(filePath);
    throw new DucklingError('DUCKLING_RESTORE_FAILED', { db: databaseId, detail: `the restored file did not open: ${errorMessage(error)}` }, { cause: error });
  }
  crash('opened');

  await removeReplicaFiles(previousPath);
  await removeJournal(filePath);
  logger.info({ file: filePath }, 'restored replica in place');
}

/** Removes a verification scratch file. A failure is only logged, because it does not change the restore result. */
export async function removeScratchFile(filePath: string, logger: Logger): Promise<void> {
  await rm(filePath, { force: true }).catch((error: unknown) => logger.warn({ err: error, file: filePath }, 'removing a scratch file failed'));
}
