import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planTable } from '../../src/catalog/index.js';
import { silentLogger } from '../../src/logging/index.js';
import { stagingTableName } from '../../src/sync/staging.js';
import { loadTable } from '../../src/sync/table-load.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaRows, tempDirectory } from './helpers.js';

test('insert sink loads film', async () => {
  const source = await testSource();
  const target = await openTarget(tempDirectory(), source.url('sakila'));
  try {
    const film = (await target.source.listTables([])).find((table) => table.name === 'film');
    assert.ok(film);
    const plan = planTable(film);
    const staging = stagingTableName('film');
    const outcome = await loadTable(
      {
        replica: target.replica, source: target.source, table: film, plan, batchSize: 300, flushInterval: 400,
        insertBatchSize: 70, watermarkIndex: null, logger: silentLogger(), shouldStop: () => false, onRows: () => undefined,
      },
      {
        kind: 'fresh',
        session: {
          tableName: 'film', runId: 'test', status: 'loading', stagingTable: staging, schemaHash: plan.schemaHash,
          keyColumns: plan.keyColumns, cursor: null, rowsLoaded: 0, snapshotPosition: null, watermarkMax: null,
          nulledDetail: {}, reasons: null,
        },
      },
      'insert',
    );
    assert.equal(outcome.session.rowsLoaded, 1000);
    assert.equal(outcome.rowsRead, 1000);
    const rows = await replicaRows(
      target.replica,
      `SELECT count(*) AS n, CAST(sum(rental_rate) AS VARCHAR) AS rates, max(title) AS title,
              string_agg(DISTINCT CAST(rating AS VARCHAR), ',' ORDER BY CAST(rating AS VARCHAR)) AS ratings
         FROM main."${staging}"`,
    );
    assert.equal(Number(rows[0]?.n), 1000);
    const connection = await source.connect('sakila');
    try {
      const [expected] = await connection.query(
        `SELECT CAST(SUM(rental_rate) AS CHAR) AS rates, MAX(title) AS title FROM film`,
      );
      const row = (expected as Array<{ rates: string; title: string }>)[0]!;
      assert.equal(rows[0]?.rates, row.rates);
      assert.equal(rows[0]?.title, row.title);
    } finally {
      await connection.end();
    }
    assert.equal(rows[0]?.ratings, 'G,NC-17,PG,PG-13,R');
  } finally {
    await target.close();
  }
});
