import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { testSource } from '../harness/mariadb.js';
import { closedPort, startCli } from './run-cli.js';

/** Polls `/health/ready` until it returns 200, for about 60 s at most. */
async function waitUntilReady(url: string): Promise<boolean> {
  for (let attempt = 0; attempt < 600; attempt += 1) {
    const response = await fetch(`${url}/health/ready`).catch(() => null);
    if (response?.status === 200) return true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return false;
}

test('serve stops on SIGTERM with exit 0', async (t) => {
  const source = await testSource();
  const directory = mkdtempSync(path.join(os.tmpdir(), 'duckling-serve-'));
  t.after(() => rmSync(directory, { recursive: true, force: true }));
  const port = await closedPort();
  writeFileSync(
    path.join(directory, 'duckling.env'),
    [
      `DUCKLING_API_KEY=${randomBytes(32).toString('hex')}`,
      `SESSION_SECRET=${randomBytes(32).toString('hex')}`,
      'ADMIN_USERNAME=admin',
      `ADMIN_PASSWORD=${randomBytes(18).toString('base64url')}`,
      `MYSQL_CONNECTION_STRING=${source.url('sakila')}`,
      'AUTO_START_SYNC=false',
      'DUCKDB_MEMORY_LIMIT=1GB',
    ].join('\n'),
  );

  const child = startCli(['serve', '--env-file', 'duckling.env', '--port', String(port), '--host', '127.0.0.1'], {
    cwd: directory,
    env: { DATA_PATH: path.join(directory, 'data'), LOG_LEVEL: 'info' },
  });
  let logs = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (logs += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  t.after(() => {
    if (child.exitCode === null) child.kill('SIGKILL');
  });

  assert.ok(await waitUntilReady(`http://127.0.0.1:${port}`), `server became ready; output:\n${logs}`);
  child.kill('SIGTERM');
  assert.equal(await exited, 0, logs);
  assert.match(logs, /"msg":"shutdown complete"/);
});
