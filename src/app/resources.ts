import os from 'node:os';
import type { Config } from '../config/index.js';

export interface ReplicaShare {
  memoryLimitBytes: number;
  threads: number;
}

/**
 * Splits the process-wide DuckDB memory and thread budgets evenly across the replicas opened at
 * start. `DUCKDB_THREADS=0` means one thread per core; every replica gets at least one thread.
 */
export function replicaShare(config: Config, replicaCount: number): ReplicaShare {
  const count = Math.max(1, replicaCount);
  const totalThreads = config.duckdb.threads === 0 ? os.availableParallelism() : config.duckdb.threads;
  return {
    memoryLimitBytes: Math.floor(config.duckdb.memoryLimitBytes / count),
    threads: Math.max(1, Math.floor(totalThreads / count)),
  };
}
