import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import { testSource } from '../harness/mariadb.js';
import { readJson, startDuckling } from '../harness/duckling.js';

describe('createDuckling', () => {
  test('unavailable replica is isolated', async () => {
    const source = await testSource();
    const dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-broken-'));
    const now = new Date().toISOString();
    const record = (id: string, file: string) => ({
      id,
      name: id,
      mysqlConnectionString: source.url('sakila'),
      duckdbPath: file,
      createdAt: now,
      updatedAt: now,
    });
    await writeFile(path.join(dataPath, 'databases.json'), JSON.stringify([record('default', 'duckling.db'), record('broken', 'broken.db')]));
    await writeFile(path.join(dataPath, 'broken.db'), Buffer.alloc(64 * 1024, 0x5a));

    const server = await startDuckling({}, { dataPath });
    try {
      const broken = await server.request('/api/tables?db=broken');
      const brokenBody = await readJson(broken);
      assert.equal(broken.status, 503);
      assert.equal(brokenBody.code, 'DUCKLING_DATABASE_UNAVAILABLE');
      assert.match(brokenBody.message, /broken\.db/);

      const healthy = await server.request('/api/tables?db=default');
      assert.equal(healthy.status, 200);
      assert.deepEqual(await readJson(healthy), []);

      const anonymous = await fetch(`${server.url}/health`);
      assert.equal(anonymous.status, 503);
      assert.deepEqual(await readJson(anonymous), { status: 'unhealthy' });

      const admin = await readJson(await server.request('/health'));
      const brokenHealth = admin.databases.find((database: { databaseId: string }) => database.databaseId === 'broken');
      assert.deepEqual(brokenHealth.services, { mysql: 'up', duckdb: 'down' });

      const status = await readJson(await server.request('/status'));
      const brokenStatus = status.databases.find((database: { databaseId: string }) => database.databaseId === 'broken');
      assert.match(brokenStatus.error, /broken\.db/);
    } finally {
      await server.stop();
      await rm(dataPath, { recursive: true, force: true });
    }
  });

  test('locked replica is unavailable', async () => {
    const source = await testSource();
    const dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-locked-'));
    const holder = spawn(process.execPath, [path.join(import.meta.dirname, 'fixtures', 'hold-lock.mjs'), path.join(dataPath, 'duckling.db')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const [line] = (await once(holder.stdout, 'data')) as [Buffer];
      assert.equal(line.toString().trim(), 'locked');

      // The harness retries a lock conflict every 100 ms for 300 ms instead of every 2 s for 60 s.
      const server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila') }, { dataPath });
      try {
        const response = await server.request('/api/tables');
        const body = await readJson(response);
        assert.equal(response.status, 503);
        assert.equal(body.code, 'DUCKLING_DATABASE_UNAVAILABLE');
        assert.match(body.message, /lock/i);
      } finally {
        await server.stop();
      }
    } finally {
      holder.kill('SIGKILL');
      await rm(dataPath, { recursive: true, force: true });
    }
  });

  test('shutdown answers in-flight request', async () => {
    const source = await testSource();
    const server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url('sakila') });
    let stopped = false;
    try {
      const inFlight = server.request('/api/sync/full', { method: 'POST' });

      // Wait until the run is under way, so the request is certainly in flight when stop() begins.
      let running = false;
      for (let attempt = 0; attempt < 500 && !running; attempt += 1) {
        const progress = await readJson(await server.request('/api/sync/progress'));
        running = progress.inProgress === true;
        if (!running) await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.ok(running, 'the sync run never showed up in /api/sync/progress');

      const stopping = server.stop();
      const response = await inFlight;
      const stats = await readJson(response);
      await stopping;
      stopped = true;

      assert.equal(response.status, 200);
      assert.equal(stats.totalTables, 16);
      assert.equal(stats.failedTables, 0);
      await assert.rejects(fetch(`${server.url}/health`));
    } finally {
      if (!stopped) await server.stop();
    }
  });
});
