import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type mysql from 'mysql2/promise';
import { RESTORE_CRASH_POINTS, type RestoreCrashPoint } from '../../src/backup/index.js';
import { postJson, readJson, startDuckling, TEST_API_KEY } from '../harness/duckling.js';
import { testSource } from '../harness/mariadb.js';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'serve-child.ts');
const BACKED_UP_ROWS = 100;
const LATER_ROWS = 150;

let admin: mysql.Connection;
let schema: string;
let sourceUrl: string;

before(async () => {
  const source = await testSource();
  schema = await source.createSchema('backup_crash');
  sourceUrl = source.url(schema);
  admin = await source.connect(schema);
  await admin.query(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(40))`);
});

after(() => admin?.end());

/** Starts the child server and resolves with its URL and a promise of its exit signal. */
async function startChild(dataPath: string, crashAt: RestoreCrashPoint): Promise<{ url: string; exited: Promise<NodeJS.Signals | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, dataPath, sourceUrl, crashAt], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const url = await new Promise<string>((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('{')) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.on('exit', (code) => reject(new Error(`child exited with code ${code} before listening`)));
  });
  return { url, exited };
}

function call(url: string, route: string, body?: unknown): Promise<Response> {
  return fetch(`${url}${route}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${TEST_API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(body ?? {}),
  });
}

async function setRows(count: number): Promise<void> {
  await admin.query('DELETE FROM items');
  await admin.query(`INSERT INTO items SELECT seq, CONCAT('item-', seq) FROM seq_1_to_${count}`);
}

for (const crashAt of RESTORE_CRASH_POINTS) {
  test(`crash at ${crashAt} recovers`, async () => {
    const dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-restore-crash-'));
    const child = await startChild(dataPath, crashAt);

    await setRows(BACKED_UP_ROWS);
    assert.equal((await call(child.url, '/api/sync/full')).status, 200);
    const backupResponse = await call(child.url, '/api/backups');
    assert.equal(backupResponse.status, 200);
    const backupName = (await readJson(backupResponse)).backup.name as string;
    await setRows(LATER_ROWS);
    assert.equal((await call(child.url, '/api/sync/full')).status, 200);

    await call(child.url, '/api/backups/restore', { name: backupName }).catch(() => null);
    assert.equal(await child.exited, 'SIGKILL');

    const server = await startDuckling({ MYSQL_CONNECTION_STRING: sourceUrl, AUTO_BACKUP: 'false' }, { dataPath });
    try {
      const response = await server.request('/api/tables/items/count');
      assert.equal(response.status, 200, await response.clone().text());
      const { count } = await readJson(response);
      // Before the verified file is in place the previous replica comes back; after, the restore completes.
      const restored = crashAt === 'verified-in-place' || crashAt === 'opened';
      assert.equal(count, restored ? BACKED_UP_ROWS : LATER_ROWS);
      const leftovers = (await readdir(dataPath)).filter((name) => /pre-restore|restore-journal|\.tmp$/.test(name));
      assert.deepEqual(leftovers, []);
      const restoreAgain = await postJson(server, '/api/backups/restore', { name: backupName });
      assert.equal(restoreAgain.status, 200, await restoreAgain.clone().text());
    } finally {
      await server.stop();
    }
  });
}

test('missing replica beside previous copy stays unavailable', async () => {
  const dataPath = await mkdtemp(path.join(os.tmpdir(), 'duckling-restore-missing-'));
  const first = await startDuckling({ MYSQL_CONNECTION_STRING: sourceUrl, AUTO_BACKUP: 'false' }, { dataPath });
  await setRows(BACKED_UP_ROWS);
  assert.equal((await first.request('/api/sync/full', { method: 'POST' })).status, 200);
  await first.stop();
  const { rename } = await import('node:fs/promises');
  await rename(path.join(dataPath, 'duckling.db'), path.join(dataPath, 'duckling.db.pre-restore-2026-01-01T00-00-00-000Z'));
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path.join(dataPath, 'duckling.db.verify-backup-default-2026-01-01T00-00-00-000Z.tmp'), 'left by a crash');

  const second = await startDuckling({ MYSQL_CONNECTION_STRING: sourceUrl, AUTO_BACKUP: 'false' }, { dataPath });
  try {
    const response = await second.request('/api/tables/items/count');
    assert.equal(response.status, 503);
    const body = await readJson(response);
    assert.equal(body.code, 'DUCKLING_DATABASE_UNAVAILABLE');
    assert.match(body.message, /pre-restore/);
    const files = await readdir(dataPath);
    assert.ok(!files.includes('duckling.db'));
    assert.ok(!files.some((name) => name.endsWith('.tmp')), files.join(', '));
  } finally {
    await second.stop();
  }
});
