import { test } from 'node:test';
import assert from 'node:assert/strict';
import type mysql from 'mysql2/promise';
import { createLogger, silentLogger } from '../../src/logging/index.js';
import { SyncService, type SyncRunStats, type SyncTarget, type TableSyncResult } from '../../src/sync/index.js';
import { tableDetails, validateDatabase } from '../../src/sync/validation/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, syncConfig, tempDirectory } from './helpers.js';

// Every table has an integer key and an update-time watermark, so an incremental run merges the
// tables whose definition did not change, except `events`, which is append-only (id mode).
const SETUP = `
  CREATE TABLE steady (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE add_nullable (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE add_default (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE add_expression (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE drop_column (id INT PRIMARY KEY, v VARCHAR(10), extra INT, updated_at DATETIME(3) NOT NULL);
  CREATE TABLE rename_column (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE retype (id INT PRIMARY KEY, price DECIMAL(10,2), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE rekey (id INT NOT NULL, code VARCHAR(5) NOT NULL, updated_at DATETIME(3) NOT NULL, PRIMARY KEY (id));
  CREATE TABLE stale (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE casefold (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE redefault (id INT PRIMARY KEY, v VARCHAR(10), updated_at DATETIME(3) NOT NULL);
  CREATE TABLE events (id INT PRIMARY KEY, kind VARCHAR(10));
  CREATE TABLE gone (id INT PRIMARY KEY, updated_at DATETIME(3) NOT NULL);
  INSERT INTO steady VALUES (1, 'a', '2024-01-01 00:00:00.000'), (2, 'b', '2024-01-02 00:00:00.000'), (3, 'c', '2024-01-03 00:00:00.000');
  INSERT INTO add_nullable SELECT * FROM steady;
  INSERT INTO add_default SELECT * FROM steady;
  INSERT INTO add_expression SELECT * FROM steady;
  INSERT INTO drop_column SELECT id, v, id * 10, updated_at FROM steady;
  INSERT INTO rename_column SELECT * FROM steady;
  INSERT INTO retype SELECT id, id + 0.25, updated_at FROM steady;
  INSERT INTO rekey SELECT id, v, updated_at FROM steady;
  INSERT INTO stale SELECT * FROM steady;
  INSERT INTO casefold SELECT * FROM steady;
  INSERT INTO redefault SELECT * FROM steady;
  INSERT INTO events VALUES (1, 'open'), (2, 'click'), (3, 'close');
  INSERT INTO gone VALUES (1, '2024-01-01 00:00:00.000');
`;

// Row changes that move the watermark come with a later updated_at. The UPDATEs of stale and
// casefold keep updated_at, so an incremental merge would never read those rows again.
const CHANGES = `
  INSERT INTO steady VALUES (4, 'd', '2024-02-01 00:00:00.000');
  ALTER TABLE add_nullable ADD COLUMN note VARCHAR(20) AFTER id;
  INSERT INTO add_nullable (id, note, v, updated_at) VALUES (4, 'fresh', 'd', '2024-02-01 00:00:00.000');
  ALTER TABLE add_default ADD COLUMN status VARCHAR(10) NOT NULL DEFAULT 'new';
  UPDATE add_default SET status = 'done', updated_at = '2024-02-01 00:00:00.000' WHERE id = 2;
  ALTER TABLE add_expression ADD COLUMN stamp DATETIME NOT NULL DEFAULT CURRENT_TIMESTAMP;
  ALTER TABLE drop_column DROP COLUMN extra;
  ALTER TABLE rename_column RENAME COLUMN v TO label;
  ALTER TABLE retype MODIFY price DECIMAL(12,2);
  UPDATE retype SET price = 1234567890.12 WHERE id = 1;
  ALTER TABLE rekey DROP PRIMARY KEY, ADD PRIMARY KEY (id, code);
  INSERT INTO rekey VALUES (1, 'z', '2024-02-01 00:00:00.000');
  ALTER TABLE stale ADD COLUMN flag INT DEFAULT 1;
  UPDATE stale SET flag = 7 WHERE id = 1;
  ALTER TABLE casefold ADD COLUMN label VARCHAR(5) DEFAULT 'a';
  UPDATE casefold SET label = 'A' WHERE id = 1;
  ALTER TABLE redefault ADD COLUMN tier VARCHAR(5) DEFAULT 'a';
  ALTER TABLE redefault ALTER COLUMN tier SET DEFAULT 'b';
  ALTER TABLE events ADD COLUMN origin VARCHAR(10) DEFAULT 'web';
  INSERT INTO events (id, kind, origin) VALUES (4, 'open', 'app');
  DROP TABLE gone;
  CREATE TABLE fresh (id INT PRIMARY KEY, v VARCHAR(10));
  INSERT INTO fresh VALUES (1, 'a');
`;

const RELOADED = 'reloaded because existing source rows of column';

/** Expected result per table: sync type of the incremental run, and `schemaChange` of both run kinds. */
const EXPECTED: Record<string, { incremental: TableSyncResult['syncType']; schemaChange: string | undefined; incrementalNote?: string }> = {
  steady: { incremental: 'watermark', schemaChange: undefined },
  add_nullable: { incremental: 'watermark', schemaChange: 'column added: note VARCHAR(20)' },
  add_default: { incremental: 'watermark', schemaChange: "column added: status VARCHAR(10) NOT NULL DEFAULT 'new'" },
  add_expression: { incremental: 'sequential', schemaChange: 'column added: stamp DATETIME NOT NULL DEFAULT current_timestamp()' },
  drop_column: { incremental: 'sequential', schemaChange: 'column dropped: extra' },
  rename_column: { incremental: 'sequential', schemaChange: 'column renamed: v -> label' },
  retype: { incremental: 'sequential', schemaChange: 'type changed: price DECIMAL(10,2) -> DECIMAL(12,2)' },
  rekey: { incremental: 'sequential', schemaChange: 'key changed: (id) -> (id, code)' },
  stale: { incremental: 'sequential', schemaChange: "column added: flag INT(11) DEFAULT '1'", incrementalNote: `${RELOADED} flag hold values other than its default` },
  casefold: { incremental: 'sequential', schemaChange: "column added: label VARCHAR(5) DEFAULT 'a'", incrementalNote: `${RELOADED} label hold values other than its default` },
  redefault: { incremental: 'sequential', schemaChange: "column added: tier VARCHAR(5) DEFAULT 'b'", incrementalNote: `${RELOADED} tier hold values other than its default` },
  events: { incremental: 'watermark', schemaChange: "column added: origin VARCHAR(10) DEFAULT 'web'" },
  fresh: { incremental: 'sequential', schemaChange: 'table created' },
};

interface Scenario {
  admin: mysql.Connection;
  target: SyncTarget;
  service: SyncService;
  logLines: Array<Record<string, unknown>>;
  close(): Promise<void>;
}

async function openScenario(prefix: string, setup: string): Promise<Scenario> {
  const source = await testSource();
  const schema = await source.createSchema(prefix);
  const admin = await source.connect(schema);
  await admin.query(setup);
  const directory = tempDirectory();
  const opened = await openTarget(directory, source.url(schema));
  const target: SyncTarget = { ...opened, sync: { appendOnlyTables: ['events'] } };
  const logLines: Array<Record<string, unknown>> = [];
  const logger = createLogger({ level: 'info', version: 'test', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
  const service = new SyncService({ config: syncConfig(directory, { BATCH_SIZE: '2' }), logger });
  return {
    admin, target, service, logLines,
    async close() {
      await service.shutdown();
      await opened.close();
      await admin.end();
    },
  };
}

function resultsByTable(stats: SyncRunStats): Map<string, TableSyncResult> {
  return new Map(stats.tables.map((result) => [result.table, result]));
}

/** Asserts that every table of the replica equals its source: exact counts, chunk checksums and column names. */
async function assertReplicaEqualsSource(target: SyncTarget): Promise<void> {
  const report = await validateDatabase(target, { mode: 'checksum' }, silentLogger());
  for (const result of report.validationResults) {
    assert.equal(result.error, undefined, `${result.table}: ${result.error}`);
    assert.equal(result.checksumMatch, true, `${result.table} checksum`);
    assert.equal(result.match, true, `${result.table} match`);
  }
  for (const table of Object.keys(EXPECTED)) {
    const details = await tableDetails(target, table, { skipMySQLCount: true });
    assert.equal(details.columnsMatch, true, `${table} columns: missing ${details.missingColumns.join(',')}, extra ${details.extraColumns.join(',')}`);
  }
}

async function syncLogOf(scenario: Scenario, runId: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await replicaRows(scenario.target.replica,
    `SELECT table_name, sync_type, status, schema_change FROM _duckling.sync_log WHERE run_id = '${runId}'`);
  return new Map(rows.map((row) => [String(row.table_name), row]));
}

for (const kind of ['full', 'incremental'] as const) {
  test(`schema change matrix in ${kind} run`, async () => {
    const scenario = await openScenario(`schema_${kind}`, SETUP);
    try {
      const first = await scenario.service.startFullRun(scenario.target, { trigger: 'manual' }).completion;
      assert.deepEqual(first.errors, []);
      assert.equal(resultsByTable(first).get('steady')?.schemaChange, 'table created');
      await scenario.admin.query(CHANGES);

      const start = kind === 'full' ? scenario.service.startFullRun.bind(scenario.service) : scenario.service.startIncrementalRun.bind(scenario.service);
      const stats = await start(scenario.target, { trigger: 'manual' }).completion;
      assert.deepEqual(stats.errors, []);
      assert.deepEqual(stats.tables.map((result) => result.table).sort(), Object.keys(EXPECTED).sort());

      const results = resultsByTable(stats);
      const log = await syncLogOf(scenario, stats.runId);
      for (const [table, expected] of Object.entries(EXPECTED)) {
        const result = results.get(table)!;
        const syncType = kind === 'full' ? 'sequential' : expected.incremental;
        const schemaChange = kind === 'incremental' && expected.incrementalNote !== undefined
          ? `${expected.schemaChange}; ${expected.incrementalNote}`
          : expected.schemaChange;
        assert.equal(result.status, 'success', `${table}: ${result.error}`);
        assert.equal(result.syncType, syncType, `${table} sync type`);
        assert.equal(result.schemaChange, schemaChange, `${table} result schemaChange`);
        assert.equal(log.get(table)?.schema_change, schemaChange ?? null, `${table} sync_log schema_change`);
        assert.equal(log.get(table)?.sync_type, syncType, `${table} sync_log sync_type`);
      }

      assert.equal(log.get('gone')?.schema_change, 'table dropped: missing from source');
      assert.equal(log.get('gone')?.status, 'success');
      assert.equal(log.get('gone')?.sync_type, kind === 'full' ? 'sequential' : 'watermark');
      const tables = await replicaRows(scenario.target.replica, `SELECT count(*) AS n FROM duckdb_tables() WHERE table_name = 'gone'`);
      assert.equal(Number(tables[0]?.n), 0);

      await assertReplicaEqualsSource(scenario.target);

      const changed = scenario.logLines.findLast((line) => line.msg === 'source schema changed' && line.table === 'retype');
      assert.equal(changed?.databaseId, 'default');
      assert.equal(changed?.schemaChange, EXPECTED.retype!.schemaChange);
      const dropped = scenario.logLines.find((line) => line.msg === 'table dropped');
      assert.equal(dropped?.table, 'gone');
      assert.equal(dropped?.event, 'table.dropped');
      assert.equal(dropped?.databaseId, 'default');

      // The next run finds every stored definition current, so an incremental run merges again.
      const next = await scenario.service.startIncrementalRun(scenario.target, { trigger: 'manual' }).completion;
      assert.deepEqual(next.errors, []);
      for (const result of next.tables) {
        assert.equal(result.schemaChange, undefined, `${result.table} after the change`);
        if (result.table !== 'fresh') assert.equal(result.syncType, 'watermark', `${result.table} merges`);
      }
      await assertReplicaEqualsSource(scenario.target);
    } finally {
      await scenario.close();
    }
  });
}

test('added column keeps merged rows', async () => {
  const scenario = await openScenario('schema_inplace', SETUP);
  try {
    await scenario.service.startFullRun(scenario.target, { trigger: 'manual' }).completion;
    await scenario.admin.query(CHANGES);
    const stats = await scenario.service.startIncrementalRun(scenario.target, { trigger: 'manual' }).completion;
    const results = resultsByTable(stats);

    // In place, only the rows past the watermark are read: one new row, one updated row.
    assert.equal(results.get('add_nullable')?.recordsProcessed, 1);
    assert.equal(results.get('add_default')?.recordsProcessed, 1);
    const notes = await replicaRows(scenario.target.replica, 'SELECT id, note FROM add_nullable ORDER BY id');
    assert.deepEqual(notes.map((row) => row.note), [null, null, null, 'fresh']);
    const statuses = await replicaRows(scenario.target.replica, 'SELECT id, status FROM add_default ORDER BY id');
    assert.deepEqual(statuses.map((row) => row.status), ['new', 'done', 'new']);

    // The column is appended in the replica, and its comment and the stored definition follow the source.
    const columns = await replicaRows(scenario.target.replica,
      `SELECT column_name, comment FROM duckdb_columns() WHERE table_name = 'add_nullable' ORDER BY column_index`);
    assert.deepEqual(columns.map((row) => row.column_name), ['id', 'v', 'updated_at', 'note']);
    assert.equal(columns[3]?.comment, 'varchar(20)');
    const meta = await replicaRows(scenario.target.replica,
      `SELECT CAST(type_plan AS VARCHAR) AS plan FROM _duckling.tables WHERE table_name = 'add_nullable'`);
    assert.match(String(meta[0]?.plan), /"name":"note","sourceType":"varchar\(20\)","duckdbType":"VARCHAR"/);

    const inPlace = scenario.logLines.findLast((line) => line.msg === 'source schema changed' && line.table === 'add_default');
    assert.equal(inPlace?.action, 'columns added in place');
    const reloaded = scenario.logLines.find((line) => line.msg === 'schema change needs a full load' && line.table === 'casefold');
    assert.match(String(reloaded?.reason), /column label hold values other than its default/);
  } finally {
    await scenario.close();
  }
});

test('incremental run drop guards', async () => {
  const scenario = await openScenario('schema_guards', `
    CREATE TABLE a (id INT PRIMARY KEY, updated_at DATETIME(3) NOT NULL);
    CREATE TABLE b (id INT PRIMARY KEY, updated_at DATETIME(3) NOT NULL);
    CREATE TABLE c (id INT PRIMARY KEY, updated_at DATETIME(3) NOT NULL);
    INSERT INTO a VALUES (1, '2024-01-01 00:00:00.000');
  `);
  try {
    await scenario.service.startFullRun(scenario.target, { trigger: 'manual' }).completion;
    const excluding = { ...scenario.target, excludedTables: ['a', 'b'] };
    await assert.rejects(scenario.service.startIncrementalRun(excluding, { trigger: 'manual' }).completion,
      { code: 'DUCKLING_SYNC_UNSAFE', statusCode: 422, message: /would drop 2 of the replica's 3 tables \(a, b\).*allowMassDrop=true/ });
    const replicaTables = await replicaRows(scenario.target.replica, `SELECT count(*) AS n FROM duckdb_tables() WHERE schema_name = 'main'`);
    assert.equal(Number(replicaTables[0]?.n), 3);

    const stats = await scenario.service.startIncrementalRun(excluding, { trigger: 'manual', allowMassDrop: true }).completion;
    assert.deepEqual(stats.tables.map((result) => result.table), ['c']);
    const drops = await replicaRows(scenario.target.replica,
      `SELECT table_name, schema_change FROM _duckling.sync_log WHERE run_id = '${stats.runId}' AND table_name IN ('a', 'b') ORDER BY table_name`);
    assert.deepEqual(drops, [
      { table_name: 'a', schema_change: 'table dropped: excluded' },
      { table_name: 'b', schema_change: 'table dropped: excluded' },
    ]);

    await scenario.admin.query('CREATE TABLE __duckling_x (id INT PRIMARY KEY)');
    const reserved = await scenario.service.startIncrementalRun(excluding, { trigger: 'manual' }).completion;
    assert.deepEqual(reserved.errors.map((error) => error.split(':')[0]), ['__duckling_x']);
    assert.match(reserved.errors[0]!, /starts with __duckling_, which Duckling reserves/);
    await scenario.admin.query('DROP TABLE __duckling_x');
  } finally {
    await scenario.close();
  }
});

test('incremental run on empty source', async () => {
  const scenario = await openScenario('schema_empty', 'DO 0');
  try {
    await assert.rejects(scenario.service.startIncrementalRun(scenario.target, { trigger: 'manual' }).completion,
      { code: 'DUCKLING_SYNC_UNSAFE', statusCode: 422, message: /has no tables to sync/ });
    const logs = await scenario.service.listSyncLogs(scenario.target, { limit: 10, offset: 0 });
    assert.equal(logs.total, 1);
    assert.equal(logs.logs[0]?.status, 'error');
    assert.equal(logs.logs[0]?.sync_type, 'watermark');
    assert.equal(logs.logs[0]?.table_name, null);
  } finally {
    await scenario.close();
  }
});
