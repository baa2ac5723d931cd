import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService } from '../../src/sync/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaCounts, replicaRows, syncConfig, tempDirectory } from './helpers.js';

let schema: string;
let admin: mysql.Connection;
const directory = tempDirectory();
let target: Awaited<ReturnType<typeof openTarget>>;
let service: SyncService;

before(async () => {
  const source = await testSource();
  schema = await source.createSchema('sync_rules');
  admin = await source.connect(schema);
  await admin.query(`
    CREATE TABLE pairs (a INT NOT NULL, b VARCHAR(10) COLLATE utf8mb4_bin NOT NULL, v INT, PRIMARY KEY (a, b));
    CREATE TABLE loose (x INT, y VARCHAR(10));
    CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(20), updated_at DATETIME(3));
    CREATE TABLE hidden (id INT PRIMARY KEY);
    INSERT INTO pairs VALUES (1,'a',1),(1,'b',2),(1,'c',3),(2,'a',4),(2,'B',5),(3,'z',6),(3,'zz',7);
    INSERT INTO loose VALUES (1,'one'),(NULL,NULL),(1,'one'),(2,'two');
    INSERT INTO items VALUES (1,'x','2024-01-01 00:00:00.500'),(2,'y','2024-03-01 10:00:00.000'),(3,'z','2024-03-01 10:00:00.000');
    INSERT INTO hidden VALUES (1);
  `);
  target = await openTarget(directory, source.url(schema), ['hidden']);
  service = new SyncService({ config: syncConfig(directory, { FULL_SYNC_BATCH_SIZE: '2', FULL_SYNC_APPENDER_FLUSH_INTERVAL: '3' }), logger: silentLogger() });
});

after(async () => {
  await service.shutdown();
  await target.close();
  await admin.end();
});

test('composite keyless and excluded', async () => {
  const phases = new Map<string, Set<string>>();
  const unsubscribe = service.onProgress((_databaseId, progress) => {
    for (const table of progress.tables) phases.set(table.table, (phases.get(table.table) ?? new Set()).add(table.phase));
  });
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  unsubscribe();
  assert.deepEqual([...(phases.get('pairs') ?? [])], ['pending', 'loading', 'swapping', 'done']);
  assert.equal(phases.has('hidden'), false);
  assert.deepEqual(stats.errors, []);
  assert.equal(stats.successfulTables, 3);
  assert.deepEqual(await replicaCounts(target.replica), { items: 3, loose: 4, pairs: 7 });
  const pairs = await replicaRows(target.replica, 'SELECT a, b, v FROM pairs ORDER BY v');
  assert.deepEqual(pairs.map((row) => `${String(row.a)}${String(row.b)}`), ['1a', '1b', '1c', '2a', '2B', '3z', '3zz']);
  const mark = await replicaRows(target.replica, `SELECT mode, last_value, CAST(last_key AS VARCHAR) AS k FROM _duckling.watermarks WHERE table_name = 'items'`);
  assert.equal(mark[0]?.mode, 'timestamp');
  assert.equal(mark[0]?.last_value, '2024-03-01 10:00:00.000');
  assert.equal(mark[0]?.k, '[3]');
  const loose = await replicaRows(target.replica, `SELECT mode FROM _duckling.watermarks WHERE table_name = 'loose'`);
  assert.equal(loose[0]?.mode, 'none');
});

test('second run replaces data', async () => {
  await admin.query(`DELETE FROM pairs WHERE a = 3; UPDATE pairs SET v = 40 WHERE a = 2 AND b = 'a'; INSERT INTO loose VALUES (9, 'nine')`);
  const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.equal(stats.successfulTables, 3);
  assert.deepEqual(await replicaCounts(target.replica), { items: 3, loose: 5, pairs: 5 });
  const updated = await replicaRows(target.replica, `SELECT v FROM pairs WHERE a = 2 AND b = 'a'`);
  assert.equal(updated[0]?.v, 40);
});

test('single table sync', async () => {
  await admin.query(`INSERT INTO items VALUES (4, 'w', NULL)`);
  const result = await service.syncTable(target, 'items', { trigger: 'manual' });
  assert.equal(result.status, 'success');
  assert.equal(result.recordsProcessed, 4);
  assert.equal(result.syncType, 'sequential');
  await assert.rejects(service.syncTable(target, 'hidden', { trigger: 'manual' }), { code: 'DUCKLING_TABLE_NOT_FOUND', statusCode: 404 });
  await assert.rejects(service.syncTable(target, 'nope', { trigger: 'manual' }), { code: 'DUCKLING_TABLE_NOT_FOUND' });
});

test('concurrent syncs conflict', async () => {
  const first = service.syncTable(target, 'items', { trigger: 'manual' });
  await assert.rejects(service.syncTable(target, 'items', { trigger: 'manual' }), { code: 'DUCKLING_TABLE_LOCKED', statusCode: 409 });
  await first;
  const run = service.startFullRun(target, { trigger: 'manual' });
  assert.throws(() => service.startFullRun(target, { trigger: 'manual' }), { code: 'DUCKLING_SYNC_IN_PROGRESS', statusCode: 409 });
  await assert.rejects(service.syncTable(target, 'pairs', { trigger: 'manual' }), { code: 'DUCKLING_SYNC_IN_PROGRESS' });
  assert.equal(service.progress('default').inProgress, true);
  await run.completion;
});

test('reserved table name fails', async () => {
  await admin.query('CREATE TABLE __duckling_bad (id INT PRIMARY KEY)');
  try {
    const stats = await service.startFullRun(target, { trigger: 'manual' }).completion;
    assert.equal(stats.failedTables, 1);
    assert.equal(stats.successfulTables, 3);
    assert.match(stats.errors[0] ?? '', /^__duckling_bad: .*reserves/);
  } finally {
    await admin.query('DROP TABLE __duckling_bad');
  }
});

test('vanished and excluded tables dropped', async () => {
  await admin.query('CREATE TABLE gone (id INT PRIMARY KEY); INSERT INTO gone VALUES (1)');
  await service.startFullRun(target, { trigger: 'manual' }).completion;
  assert.equal((await replicaCounts(target.replica)).gone, 1);

  await admin.query('DROP TABLE gone');
  const excluding = { ...target, excludedTables: ['hidden', 'loose'] };
  const stats = await service.startFullRun(excluding, { trigger: 'manual' }).completion;
  assert.equal(stats.totalTables, 2);
  assert.deepEqual(await replicaCounts(target.replica), { items: 4, pairs: 5 });
  const marks = await replicaRows(target.replica, `SELECT count(*) AS n FROM _duckling.watermarks WHERE table_name IN ('gone', 'loose')`);
  assert.equal(Number(marks[0]?.n), 0);
  const history = await service.listSyncLogs(target, { limit: 10, offset: 0, table: 'gone' });
  assert.equal(history.total, 2);
  assert.equal(history.logs[0]?.schema_change, 'table dropped: missing from source');
  assert.equal(history.logs[1]?.schema_change, 'table created');
});

test('mass drop needs allowMassDrop', async () => {
  const excluding = { ...target, excludedTables: ['hidden', 'items', 'pairs'] };
  await assert.rejects(service.startFullRun(excluding, { trigger: 'manual' }).completion, { code: 'DUCKLING_SYNC_UNSAFE', statusCode: 422 });
  assert.deepEqual(await replicaCounts(target.replica), { items: 4, pairs: 5 });
  const stats = await service.startFullRun(excluding, { trigger: 'manual', allowMassDrop: true }).completion;
  assert.equal(stats.successfulTables, 1);
  assert.deepEqual(await replicaCounts(target.replica), { loose: 5 });
});

test('empty source schema rejected', async () => {
  const source = await testSource();
  const empty = await source.createSchema('sync_empty');
  const emptyDirectory = tempDirectory();
  const emptyTarget = await openTarget(emptyDirectory, source.url(empty));
  try {
    await assert.rejects(service.startFullRun(emptyTarget, { trigger: 'manual' }).completion, { code: 'DUCKLING_SYNC_UNSAFE', statusCode: 422 });
    const logs = await service.listSyncLogs(emptyTarget, { limit: 10, offset: 0 });
    assert.equal(logs.total, 1);
    assert.equal(logs.logs[0]?.status, 'error');
  } finally {
    await emptyTarget.close();
  }
});
