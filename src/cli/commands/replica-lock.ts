import { access } from 'node:fs/promises';
import { DuckDBInstance } from '@duckdb/node-api';

/**
 * Returns the first replica file that another process has open, such as a running
 * `duckling serve`, or null. Each existing file is opened read-only for a moment: DuckDB locks a
 * file that a process opened for writing, so the open fails with "Could not set lock on file"
 * (DuckDB 1.5). Missing files are skipped, because opening one would create it. Other open
 * errors are not a lock and are ignored here.
 */
export async function findLockedReplica(filePaths: readonly string[]): Promise<string | null> {
  for (const filePath of filePaths) {
    const exists = await access(filePath).then(() => true, () => false);
    if (!exists) continue;

    let instance: DuckDBInstance | null = null;
    try {
      instance = await DuckDBInstance.create(filePath, { access_mode: 'READ_ONLY' });
    } catch (error) {
      if (/could not set lock/i.test(error instanceof Error ? error.message : String(error))) return filePath;
    } finally {
      instance?.closeSync();
    }
  }
  return null;
}
