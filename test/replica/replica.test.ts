import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Replica } from '../../src/replica/index.js';
import { silentLogger } from '../../src/logging/index.js';

async function openReplica(directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-replica-'))) {
  return Replica.create({
    databaseId: 'default',
    filePath: path.join(directory, 'duckling.db'),
    tempDirectory: path.join(directory, 'duckdb_tmp', 'default'),
    memoryLimitBytes: 256 * 1024 * 1024,
    threads: 1,
    maxTempDirectorySize: null,
    preserveInsertionOrder: false,
    maxReaders: 2,
    ducklingVersion: 'test',
    logger: silentLogger(),
  });
}

test('settings are locked after open', async () => {
  const replica = await openReplica();
  try {
    await replica.withReader(async (connection) => {
      await assert.rejects(connection.run("SET memory_limit='8GB'"), /configuration has been locked/);
      await assert.rejects(connection.run("SET TimeZone='America/New_York'"), /configuration has been locked/);
      await assert.rejects(connection.run("SELECT * FROM read_csv('/etc/hostname')"), /Permission Error/);
      await assert.rejects(connection.run("ATTACH '/tmp/other.db'"), /Permission Error/);
      const zone = await connection.runAndReadAll("SELECT current_setting('TimeZone') AS tz");
      assert.equal(zone.getRowObjectsJS()[0]?.tz, 'UTC');
    });
  } finally {
    await replica.close();
  }
});

test('internal schema exists and survives reopen', async () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-replica-'));
  const first = await openReplica(directory);
  await first.withWriter((connection) => connection.run('CREATE TABLE main.t AS SELECT 1 AS a'));
  await first.close();

  const second = await openReplica(directory);
  try {
    const tables = await second.withReader(async (connection) => {
      const reader = await connection.runAndReadAll(
        "SELECT table_name FROM duckdb_tables() WHERE schema_name = '_duckling' ORDER BY 1",
      );
      return reader.getRowObjectsJS().map((row) => row.table_name);
    });
    assert.deepEqual(tables, ['full_sync_sessions', 'meta', 'sync_log', 'tables', 'watermarks']);
    const rows = await second.withReader(async (connection) => (await connection.runAndReadAll('SELECT a FROM main.t')).getRows());
    assert.deepEqual(rows, [[1]]);
  } finally {
    await second.close();
  }
});

test('orphan staging tables are dropped at open', async () => {
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-replica-'));
  const first = await openReplica(directory);
  await first.withWriter((connection) => connection.run('CREATE TABLE main.__duckling_stage_orders_0123 (a INTEGER)'));
  await first.close();

  const second = await openReplica(directory);
  try {
    const count = await second.withReader(async (connection) => {
      const reader = await connection.runAndReadAll(
        "SELECT count(*)::INTEGER AS n FROM duckdb_tables() WHERE starts_with(table_name, '__duckling_stage_')",
      );
      return reader.getRowObjectsJS()[0]?.n;
    });
    assert.equal(count, 0);
  } finally {
    await second.close();
  }
});

test('reader pool waits when all readers are busy', async () => {
  const replica = await openReplica();
  try {
    const first = await replica.acquireReader();
    const second = await replica.acquireReader();
    let thirdGranted = false;
    const third = replica.acquireReader().then((lease) => {
      thirdGranted = true;
      return lease;
    });
    await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(thirdGranted, false);
    first.release();
    const lease = await third;
    assert.equal(lease.connection, first.connection);
    lease.release();
    second.release();
  } finally {
    await replica.close();
  }
});
