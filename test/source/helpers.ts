/** Shared setup for source and catalog tests: a SourceDatabase on the private MariaDB and a replica. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig, type Config } from '../../src/config/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { Replica } from '../../src/replica/index.js';
import { SourceDatabase } from '../../src/source/index.js';

/** Settings from defaults plus `env`, with DATA_PATH in a fresh temporary directory. */
export function testConfig(env: Record<string, string> = {}): { config: Config; directory: string } {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-source-'));
  const config = loadConfig({ DATA_PATH: directory, RETRY_BASE_DELAY_MS: '10', RETRY_MAX_DELAY_MS: '50', ...env }, { cwd: directory });
  return { config, directory };
}

export function openSource(connectionString: string, env: Record<string, string> = {}): SourceDatabase {
  const { config } = testConfig(env);
  return SourceDatabase.create({ databaseId: 'test', connectionString, config, logger: silentLogger() });
}

/** Opens a replica in a temporary directory with production settings. `close` also deletes the directory. */
export async function openTestReplica(): Promise<{ replica: Replica; close(): Promise<void> }> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-replica-'));
  const replica = await Replica.create({
    databaseId: 'test',
    filePath: path.join(directory, 'test.db'),
    maxReaders: 2,
    ducklingVersion: '0.0.0-test',
    logger: silentLogger(),
    tempDirectory: path.join(directory, 'tmp'),
    memoryLimitBytes: 512 * 1024 * 1024,
    threads: 1,
    maxTempDirectorySize: null,
    preserveInsertionOrder: true,
  });
  return {
    replica,
    async close() {
      await replica.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}

/** Collects an async iterable into an array. */
export async function collect<T>(rows: AsyncIterable<T>): Promise<T[]> {
  const result: T[] = [];
  for await (const row of rows) result.push(row);
  return result;
}
