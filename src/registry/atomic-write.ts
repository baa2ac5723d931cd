import { randomBytes } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import path from 'node:path';

/**
 * Replaces `filePath` with `content` so a crash leaves either the old or the new file, never a
 * mix: write a temp file in the same directory, fsync it, rename it over the target, then fsync
 * the directory so the rename itself is durable.
 */
export async function writeFileAtomic(filePath: string, content: string, mode = 0o600): Promise<void> {
  const directory = path.dirname(filePath);
  const tempPath = path.join(directory, `.${path.basename(filePath)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);

  const file = await open(tempPath, 'wx', mode);
  try {
    await file.writeFile(content, 'utf8');
    // The mode given to open() is reduced by the umask; chmod makes it exact.
    await file.chmod(mode);
    await file.sync();
  } catch (error) {
    await file.close();
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }
  await file.close();

  try {
    await rename(tempPath, filePath);
  } catch (error) {
    await unlink(tempPath).catch(() => undefined);
    throw error;
  }

  const directoryHandle = await open(directory, 'r');
  try {
    await directoryHandle.sync();
  } finally {
    await directoryHandle.close();
  }
}
