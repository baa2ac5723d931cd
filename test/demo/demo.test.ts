import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
// @ts-expect-error plain JavaScript module shared with the demo and benchmark scripts
import { freePort } from '../../scripts/lib/private-mariadb.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

interface DemoRun {
  code: number | null;
  output: string;
  demoDir: string;
}

/** Runs the demo with --no-serve in a temporary directory and collects its output. */
async function runDemo(args: string[]): Promise<DemoRun> {
  const demoDir = mkdtempSync(path.join(os.tmpdir(), 'duckling-demo-test-'));
  const env: NodeJS.ProcessEnv = { ...process.env, DEMO_DIR: demoDir, PORT: String(await freePort()) };
  delete env.MYSQL_CONNECTION_STRING;
  delete env.DUCKLING_API_KEY;
  if (process.env.DUCKLING_TEST_SAKILA_DIR) env.SAKILA_DIR = process.env.DUCKLING_TEST_SAKILA_DIR;

  const child = spawn(process.execPath, [path.join(root, 'scripts/demo/run.mjs'), '--no-serve', ...args], { cwd: root, env });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('exit', (exitCode) => resolve(exitCode)));
  return { code, output, demoDir };
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

test('demo syncs Sakila and exits', async () => {
  const run = await runDemo([]);
  try {
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /Duckling demo synced; it stops now because of --no-serve\./);
    const password = /^ADMIN_PASSWORD=(.+)$/m.exec(readFileSync(path.join(run.demoDir, '.env'), 'utf8'))?.[1];
    assert.ok(password, 'ADMIN_PASSWORD missing from the demo env file');
    assert.ok(run.output.includes(`Admin login admin / ${password} `), 'admin password not printed');
    // Sports is the category with the most films in Sakila (74), the first row of the sample query.
    assert.match(run.output, /Sports/);
    assert.ok(existsSync(path.join(run.demoDir, 'data', 'duckling.db')), 'replica file missing');
    assert.equal(statSync(path.join(run.demoDir, 'api-key')).mode & 0o777, 0o600);
    assert.equal(statSync(path.join(run.demoDir, '.env')).mode & 0o777, 0o600);

    const mariadbPort = Number(/private MariaDB on 127\.0\.0\.1:(\d+)/.exec(run.output)?.[1]);
    assert.ok(mariadbPort > 0, 'MariaDB port not printed');
    assert.equal(await isListening(mariadbPort), false, 'private MariaDB still running after the demo exited');
  } finally {
    rmSync(run.demoDir, { recursive: true, force: true });
  }
});

test('demo syncs the generated shop', async () => {
  const run = await runDemo(['--shop', '--shop-scale', '0.01']);
  try {
    assert.equal(run.code, 0, run.output);
    assert.match(run.output, /sample shop \(customers 500, products 50, orders 3,000/);
    assert.match(run.output, /delivered/);
  } finally {
    rmSync(run.demoDir, { recursive: true, force: true });
  }
});

test('demo keeps a foreign directory', async () => {
  const foreign = mkdtempSync(path.join(os.tmpdir(), 'duckling-demo-foreign-'));
  writeFileSync(path.join(foreign, 'keep.txt'), 'not the demo\n');
  try {
    const child = spawn(process.execPath, [path.join(root, 'scripts/demo/run.mjs'), '--no-serve'], {
      cwd: root,
      env: { ...process.env, DEMO_DIR: foreign },
    });
    let output = '';
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(output, /is not empty and was not created by the demo/);
    assert.ok(existsSync(path.join(foreign, 'keep.txt')));
  } finally {
    rmSync(foreign, { recursive: true, force: true });
  }
});
