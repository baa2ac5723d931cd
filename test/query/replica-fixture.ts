/**
 * Real replica files for query tests: a fresh DuckDB replica in a temporary directory, opened with
 * the same locked settings as in production, and a QueryService over it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import { silentLogger } from '../../src/logging/index.js';
import { Replica } from '../../src/replica/index.js';
import { QueryService } from '../../src/query/index.js';
import type { QueryRequest } from '../../src/query/index.js';

export interface QueryLimits {
  maxConcurrent: number;
  timeoutMs: number;
  queueMax: number;
  maxRows: number;
}

export const DEFAULT_LIMITS: QueryLimits = { maxConcurrent: 4, timeoutMs: 30_000, queueMax: 10, maxRows: 1000 };

export interface ReplicaFixture {
  replica: Replica;
  service: QueryService;
  limits: QueryLimits;
  request(sql: string, overrides?: Partial<QueryRequest>): QueryRequest;
  close(): Promise<void>;
}

/** Opens a replica, runs `seed` on its writer connection and builds a QueryService. */
export async function openReplicaFixture(
  seed: (connection: DuckDBConnection) => Promise<void>,
  limits: Partial<QueryLimits> = {},
  databaseId = 'default',
): Promise<ReplicaFixture> {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-query-'));
  const replica = await Replica.create({
    databaseId,
    filePath: path.join(directory, `${databaseId}.db`),
    maxReaders: 4,
    ducklingVersion: 'test',
    logger: silentLogger(),
    tempDirectory: path.join(directory, 'tmp'),
    memoryLimitBytes: 512 * 1024 * 1024,
    threads: 2,
    maxTempDirectorySize: null,
    preserveInsertionOrder: true,
  });
  await replica.withWriter(seed);

  const effective = { ...DEFAULT_LIMITS, ...limits };
  const service = new QueryService({
    config: {
      query: {
        maxConcurrent: effective.maxConcurrent,
        timeoutMs: effective.timeoutMs,
        streamTimeoutMs: 30_000,
        queueMax: effective.queueMax,
        maxRows: effective.maxRows,
        streamMaxRows: effective.maxRows,
      },
    },
    logger: silentLogger(),
  });

  return {
    replica,
    service,
    limits: effective,
    request: (sql, overrides = {}) => ({
      databaseId,
      replica,
      sql,
      maxRows: effective.maxRows,
      timeoutMs: effective.timeoutMs,
      principal: 'tester',
      protocol: 'rest',
      ...overrides,
    }),
    close: async () => {
      service.shutdown();
      await replica.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
