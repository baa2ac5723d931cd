// Starts a private MariaDB server (temporary datadir, free loopback port, ROW binlog) for tests,
// the demo and the benchmark. Plain JavaScript so that shell scripts can run it without a build.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const SERVER_CANDIDATES = ['mariadbd', '/usr/sbin/mariadbd', 'mysqld', '/usr/sbin/mysqld'];
const INSTALL_CANDIDATES = ['mariadb-install-db', '/usr/bin/mariadb-install-db', 'mysql_install_db'];
const CLIENT_CANDIDATES = ['mariadb', '/usr/bin/mariadb', 'mysql'];

function findExecutable(candidates, purpose) {
  for (const candidate of candidates) {
    const found = spawnSync('sh', ['-c', `command -v ${candidate}`], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim()) return found.stdout.trim();
  }
  throw new Error(
    `${purpose} not found (looked for ${candidates.join(', ')}); install it with "apt-get install mariadb-server mariadb-client"`,
  );
}

/** Returns a free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForSocket(port, child, timeoutMs, logFile) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`MariaDB exited with code ${child.exitCode} while starting; see ${logFile}`);
    const ok = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => { socket.destroy(); resolve(true); });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`MariaDB did not accept connections on port ${port} within ${timeoutMs} ms; see ${logFile}`);
}

/**
 * Starts MariaDB as root with an empty password on 127.0.0.1 and a free port.
 * Returns { host, port, user, password, dataDir, pid, url(schema), runSqlFile(file), runSql(sql), stop() }.
 */
export async function startPrivateMariaDb(options = {}) {
  const serverBinary = findExecutable(SERVER_CANDIDATES, 'MariaDB server (mariadbd)');
  const installBinary = findExecutable(INSTALL_CANDIDATES, 'mariadb-install-db');
  const clientBinary = findExecutable(CLIENT_CANDIDATES, 'MariaDB client (mariadb)');
  const baseDir = options.baseDir ?? mkdtempSync(path.join(os.tmpdir(), 'duckling-mariadb-'));
  const dataDir = path.join(baseDir, 'data');
  const socketPath = path.join(baseDir, 'mariadb.sock');
  const logFile = path.join(baseDir, 'mariadb.err');
  const port = options.port ?? (await freePort());
  mkdirSync(dataDir, { recursive: true });

  if (!existsSync(path.join(dataDir, 'mysql'))) {
    const install = spawnSync(
      installBinary,
      ['--no-defaults', `--datadir=${dataDir}`, '--user=root', '--auth-root-authentication-method=normal', '--skip-test-db'],
      { encoding: 'utf8' },
    );
    if (install.status !== 0) throw new Error(`mariadb-install-db failed: ${install.stderr || install.stdout}`);
  }

  const args = [
    '--no-defaults',
    '--user=root',
    `--datadir=${dataDir}`,
    `--socket=${socketPath}`,
    `--port=${port}`,
    '--bind-address=127.0.0.1',
    `--log-error=${logFile}`,
    `--pid-file=${path.join(baseDir, 'mariadb.pid')}`,
    '--log-bin=binlog',
    '--binlog-format=ROW',
    '--binlog-row-image=FULL',
    '--server-id=1',
    '--skip-name-resolve',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    '--innodb-buffer-pool-size=' + (options.bufferPool ?? '256M'),
    '--innodb-flush-log-at-trx-commit=2',
    '--innodb-doublewrite=0',
    '--sync-binlog=0',
    '--max-connections=300',
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(serverBinary, args, { stdio: 'ignore', detached: false });
  await waitForSocket(port, child, options.startTimeoutMs ?? 60000, logFile);

  const clientArgs = ['--no-defaults', '--protocol=TCP', '-h', '127.0.0.1', '-P', String(port), '-u', 'root'];
  const server = {
    host: '127.0.0.1',
    port,
    user: 'root',
    password: '',
    dataDir,
    baseDir,
    pid: child.pid,
    url: (schema = '') => `mysql://root@127.0.0.1:${port}/${schema}`,
    runSql(sql, database) {
      const result = spawnSync(clientBinary, [...clientArgs, ...(database ? [database] : []), '-e', sql], { encoding: 'utf8' });
      if (result.status !== 0) throw new Error(`SQL failed: ${result.stderr}`);
      return result.stdout;
    },
    runSqlFile(file, database) {
      const result = spawnSync('sh', ['-c', `"$0" "$@" < "${file}"`, clientBinary, ...clientArgs, ...(database ? [database] : [])], {
        encoding: 'utf8',
        maxBuffer: 64 * 1024 * 1024,
      });
      if (result.status !== 0) throw new Error(`loading ${file} failed: ${result.stderr}`);
    },
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 15000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepData && !options.baseDir) rmSync(baseDir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Directory of the Sakila dataset: the first argument, $SAKILA_DIR, or ../shared/datasets/sakila. */
export function sakilaDirectory(explicit) {
  const candidates = [explicit, process.env.SAKILA_DIR, path.resolve(process.cwd(), '../shared/datasets/sakila')].filter(Boolean);
  for (const candidate of candidates) {
    if (existsSync(path.join(candidate, 'sakila-schema.sql')) && existsSync(path.join(candidate, 'sakila-data.sql'))) {
      return path.resolve(candidate);
    }
  }
  return null;
}

/** Loads Sakila into schema `sakila` of the server. */
export function loadSakila(server, directory) {
  server.runSqlFile(path.join(directory, 'sakila-schema.sql'));
  server.runSqlFile(path.join(directory, 'sakila-data.sql'));
}
