// Runs the whole test suite: starts one private MariaDB with Sakila loaded for all test files,
// then node's test runner over test/**/*.test.ts. Extra arguments select files by substring.
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadSakila, sakilaDirectory, startPrivateMariaDb } from './lib/private-mariadb.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function findTests(directory) {
  const found = [];
  for (const entry of readdirSync(directory)) {
    const full = path.join(directory, entry);
    if (statSync(full).isDirectory()) found.push(...findTests(full));
    else if (entry.endsWith('.test.ts')) found.push(full);
  }
  return found.sort();
}

const filters = process.argv.slice(2);
const files = findTests(path.join(root, 'test')).filter(
  (file) => filters.length === 0 || filters.some((filter) => file.includes(filter)),
);
if (files.length === 0) {
  console.error(`no test files match ${filters.join(', ')}`);
  process.exit(2);
}

const sakila = sakilaDirectory(path.resolve(root, '../shared/datasets/sakila'));
if (!sakila) {
  console.error('Sakila dataset not found: set SAKILA_DIR or place it at ../shared/datasets/sakila');
  process.exit(2);
}

// Every temporary directory of the run (replicas, data paths, the private MariaDB's data) goes
// under one directory, removed at the end, because test files that fail or are killed leave theirs.
const runDirectory = mkdtempSync(path.join(os.tmpdir(), 'duckling-test-run-'));
process.env.TMPDIR = runDirectory;

const mariadb = await startPrivateMariaDb();
let exitCode = 1;
try {
  loadSakila(mariadb, sakila);
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-concurrency=2', ...files],
    {
      cwd: root,
      stdio: 'inherit',
      env: {
        ...process.env,
        DUCKLING_TEST_MYSQL_HOST: mariadb.host,
        DUCKLING_TEST_MYSQL_PORT: String(mariadb.port),
        DUCKLING_TEST_SAKILA_DIR: sakila,
        LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
      },
    },
  );
  exitCode = await new Promise((resolve) => child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0))));
} finally {
  await mariadb.stop();
  rmSync(runDirectory, { recursive: true, force: true });
}
process.exit(exitCode);
