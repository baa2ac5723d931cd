import { constants } from 'node:fs';
import { copyFile, open, rm, stat } from 'node:fs/promises';
import type { Logger } from '../logging/index.js';
import { duckdbVersion, type Replica } from '../replica/index.js';
import { digestFile, readImageFacts, readStorageVersion, withImage, type ScratchSettings } from './image-facts.js';
import type { ImageManifest } from './manifest.js';

/** The database whose replica an image copies. */
export interface ImageSource {
  databaseId: string;
  replica: Replica;
  /** Source host and port for the manifest; null when the connection string cannot be parsed. */
  endpoint: { host: string; port: number } | null;
}

export interface ImageOptions {
  /** The backup name, `backup-<id>-<timestamp>`, recorded as `backupId`. */
  backupId: string;
  createdAt: Date;
  ducklingVersion: string;
  /** Scratch DuckDB instance that reads the copy back for row counts and checksums. */
  scratch: ScratchSettings;
  logger: Logger;
}

/**
 * Writes a consistent image of the replica to `destinationPath` and returns its manifest facts.
 *
 * The replica's loads pause at their next write, while rows they only buffer keep arriving. The
 * writer mutex is taken, so no swap, merge or metadata write runs. `FORCE CHECKPOINT` moves the WAL
 * into the file, and the file is copied (a reflink where the file system supports one). The loads
 * resume as soon as the copy is done. Row counts, checksums, watermarks and the source identity
 * are then read from the copy, never from the live file.
 *
 * Throws when the checkpoint, the copy or the read-back fails; the partial copy is removed.
 */
export async function takeConsistentImage(source: ImageSource, destinationPath: string, options: ImageOptions): Promise<ImageManifest> {
  const { replica } = source;
  const logger = options.logger.child({ databaseId: source.databaseId, backupId: options.backupId });
  try {
    const startedAtMs = Date.now();
    const resumeLoads = await replica.loadGate.pause();
    try {
      await replica.withWriter(async (writer) => {
        await writer.run('FORCE CHECKPOINT');
        await assertWalEmpty(replica.filePath);
        await copyFile(replica.filePath, destinationPath, constants.COPYFILE_FICLONE);
      });
    } finally {
      resumeLoads();
    }
    await fsyncFile(destinationPath);
    logger.info({ file: destinationPath, pausedMs: Date.now() - startedAtMs }, 'replica image copied');

    const plaintext = await digestFile(destinationPath);
    const duckdbStorageVersion = await readStorageVersion(destinationPath);
    const facts = await withImage(destinationPath, options.scratch, readImageFacts);
    return {
      format: 'duckling-backup',
      version: 1,
      backupId: options.backupId,
      databaseId: source.databaseId,
      createdAt: options.createdAt.toISOString(),
      ducklingVersion: options.ducklingVersion,
      duckdbVersion: duckdbVersion(),
      duckdbStorageVersion,
      source: {
        host: source.endpoint?.host ?? null,
        port: source.endpoint?.port ?? null,
        schema: facts.meta.source_schema ?? null,
        flavour: facts.meta.source_flavour ?? null,
        identity: facts.meta.source_identity ?? null,
        // TODO(cdc): record the CDC position from `_duckling.cdc_state`, else the last snapshot position —
        // neither is kept in the replica after a swap yet, so the image carries no position.
        position: null,
        watermarks: facts.watermarks,
      },
      tables: facts.tables,
      schemaHash: facts.schemaHash,
      plaintext,
    };
  } catch (error) {
    await rm(destinationPath, { force: true });
    throw error;
  }
}

/**
 * Throws when the WAL is not empty after `FORCE CHECKPOINT`, because the file copy would then miss
 * the changes in it. DuckDB 1.5 removes or empties the WAL at a checkpoint.
 */
async function assertWalEmpty(filePath: string): Promise<void> {
  const size = await stat(`${filePath}.wal`).then((info) => info.size, (error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return 0;
    throw error;
  });
  if (size > 0) throw new Error(`FORCE CHECKPOINT left ${size} bytes in ${filePath}.wal, so a copy of the file alone would miss changes`);
}

/** Flushes a file's data to disk. */
export async function fsyncFile(filePath: string): Promise<void> {
  const handle = await open(filePath, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** Flushes a directory entry (a rename or a new file in it) to disk. */
export async function fsyncDirectory(directory: string): Promise<void> {
  const handle = await open(directory, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
