import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { silentLogger } from '../../src/logging/index.js';
import { SyncService } from '../../src/sync/index.js';
import { testSource } from '../harness/mariadb.js';
import { openTarget, replicaCounts, syncConfig, tempDirectory } from './helpers.js';

const directory = tempDirectory();
let schema: string;
let service: SyncService;

/** Returns a local port with no listener, by binding it once and closing it. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

before(async () => {
  const source = await testSource();
  schema = await source.createSchema('sync_down');
  const admin = await source.connect(schema);
  try {
    await admin.query('CREATE TABLE kept (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO kept VALUES (1, "a"), (2, "b")');
  } finally {
    await admin.end();
  }
  service = new SyncService({ config: syncConfig(directory), logger: silentLogger() });
  const good = await openTarget(directory, source.url(schema));
  try {
    const stats = await service.startFullRun(good, { trigger: 'manual' }).completion;
    assert.equal(stats.successfulTables, 1);
  } finally {
    await good.close();
  }
});

after(() => service.shutdown());

async function expectUnavailable(url: string): Promise<void> {
  const target = await openTarget(directory, url);
  try {
    const handle = service.startFullRun(target, { trigger: 'manual' });
    await assert.rejects(handle.completion, (error: Error & { code?: string; statusCode?: number }) => {
      assert.equal(error.code, 'DUCKLING_SOURCE_UNAVAILABLE');
      assert.equal(error.statusCode, 502);
      assert.doesNotMatch(error.message, /wrong-password/);
      return true;
    });
    const logs = await service.listSyncLogs(target, { limit: 100, offset: 0 });
    const ofRun = logs.logs.filter((log) => log.run_id === handle.runId);
    assert.equal(ofRun.length, 1);
    assert.equal(ofRun[0]?.status, 'error');
    assert.equal(ofRun[0]?.table_name, null);
    assert.deepEqual(await replicaCounts(target.replica), { kept: 2 });
    const status = (await service.status(target)) as { tables: Record<string, number | null> };
    assert.equal(status.tables.mysql, null);
    assert.equal(status.tables.duckdb, 1);
  } finally {
    await target.close();
  }
}

test('unreachable source', async () => {
  await expectUnavailable(`mysql://root@127.0.0.1:${await closedPort()}/${schema}`);
});

test('wrong source password', async () => {
  const source = await testSource();
  await expectUnavailable(`mysql://root:wrong-password@${source.host}:${source.port}/${schema}`);
});
