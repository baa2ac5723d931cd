import { access, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from '../logging/index.js';
import { writeFileAtomic } from '../registry/index.js';
import { fsyncDirectory } from './image.js';

/**
 * The restore journal, `<file>.restore-journal`, written before the live file moves. It names the
 * files of one swap (all in the replica's directory), so a restart can finish or undo it.
 */
export interface RestoreJournal {
  version: 1;
  databaseId: string;
  /** Base name of the live replica file. */
  live: string;
  /** Base name the live file moves to: `<file>.pre-restore-<timestamp>`. */
  previous: string;
  /** Base name of the verified image: `<file>.restore-<backup id>.tmp`. */
  verified: string;
  startedAt: string;
}

export function journalPath(filePath: string): string {
  return `${filePath}.restore-journal`;
}

/** Writes the journal atomically and fsyncs it and its directory. */
export async function writeJournal(filePath: string, journal: RestoreJournal): Promise<void> {
  await writeFileAtomic(journalPath(filePath), `${JSON.stringify(journal, null, 2)}\n`);
}

export async function removeJournal(filePath: string): Promise<void> {
  await rm(journalPath(filePath), { force: true });
  await fsyncDirectory(path.dirname(filePath));
}

/** Moves a replica file and its WAL (when there is one) to another base name in the same directory. */
export async function moveReplicaFiles(fromPath: string, toPath: string): Promise<void> {
  await rename(fromPath, toPath);
  if (await exists(`${fromPath}.wal`)) await rename(`${fromPath}.wal`, `${toPath}.wal`);
}

export async function removeReplicaFiles(filePath: string): Promise<void> {
  await rm(filePath, { force: true });
  await rm(`${filePath}.wal`, { force: true });
}

/**
 * Startup action for a replica file after the check for an unfinished restore:
 * - `open`: open the live file as usual (nothing was unfinished, or the previous file was put back);
 * - `open-restored`: the verified file is in place and the previous one is still kept. Call
 *   `commit` once the file opened, or `rollback` to put the previous file back when it did not;
 * - `unavailable`: the live file is missing beside a `.pre-restore-*` file, so the database must
 *   stay unavailable rather than start empty.
 */
export type RecoveryPlan =
  | { kind: 'open' }
  | { kind: 'open-restored'; commit(): Promise<void>; rollback(): Promise<void> }
  | { kind: 'unavailable'; reason: string };

/** Resolves an unfinished restore of the replica at `filePath` from its journal, before the file is opened. */
export async function recoverUnfinishedRestore(filePath: string, logger: Logger): Promise<RecoveryPlan> {
  const directory = path.dirname(filePath);
  const journal = await readJournal(filePath);
  if (journal === null) {
    await removeStrayScratchFiles(filePath, logger);
    return checkStrayPreRestoreFiles(filePath, logger);
  }

  const previousPath = path.join(directory, journal.previous);
  const verifiedPath = path.join(directory, journal.verified);
  const liveExists = await exists(filePath);
  const previousExists = await exists(previousPath);
  logger.warn({ file: filePath, journal, liveExists, previousExists }, 'unfinished restore found');

  if (previousExists && !liveExists) {
    // The live file had moved away but the verified one was not in place yet: undo.
    await moveReplicaFiles(previousPath, filePath);
    await rm(verifiedPath, { force: true });
    await removeJournal(filePath);
    logger.warn({ file: filePath }, 'unfinished restore undone; the previous replica is back in place');
    return { kind: 'open' };
  }
  if (previousExists && liveExists) {
    // The verified file is in place: the restore completes once it opens.
    return {
      kind: 'open-restored',
      commit: async () => {
        await removeReplicaFiles(previousPath);
        await rm(verifiedPath, { force: true });
        await removeJournal(filePath);
        logger.warn({ file: filePath, backupFile: journal.verified }, 'unfinished restore completed');
      },
      rollback: async () => {
        await removeReplicaFiles(filePath);
        await moveReplicaFiles(previousPath, filePath);
        await rm(verifiedPath, { force: true });
        await removeJournal(filePath);
        logger.error({ file: filePath }, 'restored replica did not open; the previous replica is back in place');
      },
    };
  }
  if (liveExists) {
    // The restore stopped before the live file moved, or after it finished: only leftovers remain.
    await rm(verifiedPath, { force: true });
    await removeJournal(filePath);
    return { kind: 'open' };
  }
  return { kind: 'unavailable', reason: `${path.basename(filePath)} and its previous copy ${journal.previous} are both missing after an unfinished restore; restore a backup` };
}

/** Keeps the database unavailable when its live file is gone but a `.pre-restore-*` file without a journal exists. */
async function checkStrayPreRestoreFiles(filePath: string, logger: Logger): Promise<RecoveryPlan> {
  const base = path.basename(filePath);
  const entries = await readdir(path.dirname(filePath)).catch(() => [] as string[]);
  const previous = entries.filter((entry) => entry.startsWith(`${base}.pre-restore-`) && !entry.endsWith('.wal'));
  if (previous.length === 0) return { kind: 'open' };
  if (await exists(filePath)) {
    logger.warn({ file: filePath, previous }, 'previous replica files of a restore remain beside the live file; delete them once the live replica is known good');
    return { kind: 'open' };
  }
  return {
    kind: 'unavailable',
    reason: `${base} is missing but ${previous.join(', ')} exists, so a restore was interrupted; move that file back to ${base} or restore a backup, then restart`,
  };
}

/**
 * Removes scratch files a crash left beside the replica: images being verified, restored or
 * uploaded (`<file>.verify-*.tmp`, `.restore-*.tmp`, `.image-*.tmp`). Without a journal no
 * restore uses them, and at startup nothing else does.
 */
async function removeStrayScratchFiles(filePath: string, logger: Logger): Promise<void> {
  const base = path.basename(filePath);
  const entries = await readdir(path.dirname(filePath)).catch(() => [] as string[]);
  const stray = entries.filter(
    (entry) => entry.endsWith('.tmp') && ['verify-', 'restore-', 'image-'].some((kind) => entry.startsWith(`${base}.${kind}`)),
  );
  for (const entry of stray) {
    await rm(path.join(path.dirname(filePath), entry), { force: true });
    logger.warn({ file: entry }, 'removed a scratch file left by an interrupted backup or restore');
  }
}

async function readJournal(filePath: string): Promise<RestoreJournal | null> {
  let text: string;
  try {
    text = await readFile(journalPath(filePath), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const journal = JSON.parse(text) as RestoreJournal;
  for (const field of ['live', 'previous', 'verified'] as const) {
    const name = journal[field];
    if (typeof name !== 'string' || name !== path.basename(name) || name === '' || name === '..') {
      throw new Error(`restore journal ${journalPath(filePath)} has an invalid "${field}" entry; fix or remove it by hand`);
    }
  }
  return journal;
}

async function exists(filePath: string): Promise<boolean> {
  return access(filePath).then(() => true, () => false);
}
