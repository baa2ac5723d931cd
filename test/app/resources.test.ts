import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { replicaShare } from '../../src/app/resources.js';
import { loadConfig } from '../../src/config/index.js';

test('replicaShare splits memory and threads', () => {
  const config = loadConfig({ DUCKDB_MEMORY_LIMIT: '3GB', DUCKDB_THREADS: '4' }, { cwd: os.tmpdir() });
  const share = replicaShare(config, 3);

  assert.equal(share.memoryLimitBytes, Math.floor(config.duckdb.memoryLimitBytes / 3));
  assert.equal(share.threads, 1);
});

test('replicaShare gives at least one thread', () => {
  const config = loadConfig({ DUCKDB_MEMORY_LIMIT: '1GB', DUCKDB_THREADS: '2' }, { cwd: os.tmpdir() });
  assert.equal(replicaShare(config, 5).threads, 1);
});

test('replicaShare with zero threads uses cores', () => {
  const config = loadConfig({ DUCKDB_MEMORY_LIMIT: '1GB', DUCKDB_THREADS: '0' }, { cwd: os.tmpdir() });
  assert.equal(replicaShare(config, 1).threads, os.availableParallelism());
});

test('replicaShare without replicas', () => {
  const config = loadConfig({ DUCKDB_MEMORY_LIMIT: '1GB', DUCKDB_THREADS: '2' }, { cwd: os.tmpdir() });
  assert.deepEqual(replicaShare(config, 0), { memoryLimitBytes: config.duckdb.memoryLimitBytes, threads: 2 });
});
