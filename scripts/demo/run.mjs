// The demo behind "npm run demo": a private MariaDB with Sakila (or the generated shop), Duckling
// serving on 127.0.0.1 with a fresh API key, one full sync, then sample commands.
//
// Usage: node scripts/demo/run.mjs [SAKILA_DIR] [--no-serve] [--shop] [--shop-scale N]
//   --no-serve (or DEMO_EXIT_AFTER_SYNC=1) stops everything after the sync and the printout.
//   MYSQL_CONNECTION_STRING set: your database is replicated instead and no MariaDB is started.
//   DEMO_DIR: directory for the env file, log and replica (default data/demo), recreated each run.
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { choosePort, demoEnvironment, writeEnvFile } from './env.mjs';
import { runCli, startServer, stopServer, tail, waitForReady } from './server.mjs';
import { findSakila, startDemoSource } from './source.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Statement the demo runs through the CLI and prints, per dataset. */
const SAMPLE_QUERIES = {
  sakila:
    'SELECT c.name AS category, COUNT(*) AS films, AVG(f.rental_rate)::DECIMAL(6,2) AS avg_rate ' +
    'FROM film f JOIN film_category fc ON fc.film_id = f.film_id JOIN category c ON c.category_id = fc.category_id ' +
    'GROUP BY c.name ORDER BY films DESC, category LIMIT 5',
  shop: 'SELECT status, COUNT(*) AS orders, SUM(total) AS revenue FROM orders GROUP BY status ORDER BY orders DESC',
  external: "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY table_name LIMIT 10",
};

/** Shorter statement for the printed curl example, per dataset. */
const CURL_QUERIES = {
  sakila: 'SELECT rating, COUNT(*) AS films FROM film GROUP BY rating ORDER BY rating',
  shop: 'SELECT currency, COUNT(*) AS orders, SUM(total) AS revenue FROM orders GROUP BY currency ORDER BY currency',
  external: SAMPLE_QUERIES.external,
};

function log(message) {
  console.log(`[demo] ${message}`);
}

function parseOptions() {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'no-serve': { type: 'boolean', default: false },
      shop: { type: 'boolean', default: false },
      'shop-scale': { type: 'string', default: process.env.DEMO_SHOP_SCALE ?? '1' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const shopScale = Number(values['shop-scale']);
  if (!Number.isFinite(shopScale) || shopScale <= 0 || shopScale > 100) {
    throw new Error(`invalid --shop-scale ${JSON.stringify(values['shop-scale'])}: expected a number above 0 and at most 100`);
  }
  const exitFlag = (process.env.DEMO_EXIT_AFTER_SYNC ?? '').toLowerCase();
  return {
    help: values.help,
    exitAfterSync: values['no-serve'] || ['1', 'true', 'yes'].includes(exitFlag),
    forceShop: values.shop,
    shopScale,
    sakilaArgument: positionals[0],
  };
}

/** Path relative to the working directory when it lies below it, for shorter printed commands. */
function display(file) {
  const relative = path.relative(process.cwd(), file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Connection string with the password replaced by `***`, for printing. */
function maskPassword(connectionString) {
  try {
    const url = new URL(connectionString);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return '(unparsable connection string)';
  }
}

async function prepareSource(options, onStarted) {
  const external = process.env.MYSQL_CONNECTION_STRING?.trim();
  if (external) {
    log(`MYSQL_CONNECTION_STRING is set: replicating ${maskPassword(external)}; no private MariaDB is started`);
    return { server: null, dataset: 'external', connectionString: external, summary: maskPassword(external) };
  }
  const sakilaDir = options.forceShop ? null : findSakila(options.sakilaArgument);
  if (options.sakilaArgument && !sakilaDir && !options.forceShop) {
    throw new Error(`no Sakila dataset in ${options.sakilaArgument}: expected sakila-schema.sql and sakila-data.sql there`);
  }
  return startDemoSource({ sakilaDir, shopScale: options.shopScale, log, onStarted });
}

function printInstructions({ envValues, envFile, keyFile, logFile, source, sql, stopping }) {
  const baseUrl = envValues.DUCKLING_URL;
  const body = JSON.stringify({ sql: CURL_QUERIES[source.dataset] });
  const lines = [
    '',
    stopping ? 'Duckling demo synced; it stops now because of --no-serve. Without it, the server keeps running:' : 'Duckling demo is running.',
    `  Source      ${source.summary}${source.server ? ` in a private MariaDB on ${source.server.host}:${source.server.port}` : ''}`,
    `  API         ${baseUrl}/api/tables`,
    `  Health      ${baseUrl}/health/ready`,
    `  Admin login ${envValues.ADMIN_USERNAME} / ${envValues.ADMIN_PASSWORD} (POST ${baseUrl}/api/login)`,
    `  Settings    ${display(envFile)} (contains the API key, the admin password and the session secret)`,
    `  Server log  ${display(logFile)}`,
    '',
    stopping ? 'While a demo server runs, try from another terminal in this directory:' : 'Try it from another terminal in this directory:',
    `  export DUCKLING_API_KEY=$(cat ${display(keyFile)})`,
    `  curl -s -H "Authorization: Bearer $DUCKLING_API_KEY" ${baseUrl}/api/tables`,
    `  curl -s -H "Authorization: Bearer $DUCKLING_API_KEY" -H 'Content-Type: application/json' \\`,
    `       -d '${body.replaceAll("'", "'\\''")}' ${baseUrl}/api/query`,
    `  node bin/duckling.js --env-file ${display(envFile)} query "${sql.replaceAll('"', '\\"')}"`,
    `  node bin/duckling.js --env-file ${display(envFile)} status`,
    '',
  ];
  console.log(lines.join('\n'));
}

const DEMO_MARKER = '.duckling-demo';

/**
 * Empties the demo directory: each run starts a new source, and a replica of an earlier source
 * would be refused. A non-empty directory without the demo's marker file is left alone.
 */
function resetDemoDirectory(demoDir) {
  if (existsSync(demoDir) && readdirSync(demoDir).length > 0 && !existsSync(path.join(demoDir, DEMO_MARKER))) {
    throw new Error(`${demoDir} is not empty and was not created by the demo; set DEMO_DIR to a new or empty directory`);
  }
  rmSync(demoDir, { recursive: true, force: true });
  mkdirSync(demoDir, { recursive: true });
  writeFileSync(path.join(demoDir, DEMO_MARKER), 'Created by scripts/demo/run.mjs, which deletes this directory on its next run.\n');
}

async function main() {
  const options = parseOptions();
  if (options.help) {
    console.log('Usage: npm run demo -- [SAKILA_DIR] [--no-serve] [--shop] [--shop-scale N]');
    return 0;
  }

  let source = null;
  let mariadb = null;
  let server = null;
  let cleaning = null;
  const cleanup = () => {
    cleaning ??= (async () => {
      if (server) {
        log('stopping duckling serve');
        const code = await stopServer(server);
        if (code !== 0) log(`duckling serve exited with code ${code}; see ${display(server.logFile)}`);
      }
      if (mariadb) {
        log('stopping the private MariaDB');
        await mariadb.stop();
      }
    })();
    return cleaning;
  };
  const onSignal = (signal) => {
    log(`${signal} received`);
    cleanup().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    const demoDir = path.resolve(process.env.DEMO_DIR || path.join(root, 'data', 'demo'));
    resetDemoDirectory(demoDir);

    source = await prepareSource(options, (started) => {
      mariadb = started;
    });
    const port = await choosePort(process.env.PORT);
    const envValues = demoEnvironment({ port, dataPath: path.join(demoDir, 'data'), connectionString: source.connectionString });
    const envFile = path.join(demoDir, '.env');
    const keyFile = path.join(demoDir, 'api-key');
    const logFile = path.join(demoDir, 'server.log');
    writeEnvFile(envFile, envValues);
    writeFileSync(keyFile, envValues.DUCKLING_API_KEY + '\n', { mode: 0o600 });

    log(`starting duckling serve on ${envValues.DUCKLING_URL} (log: ${display(logFile)})`);
    server = startServer(root, envFile, envValues, logFile);
    await waitForReady(server, envValues.DUCKLING_URL);

    log('running a full sync');
    const syncCode = await runCli(root, envFile, envValues, ['sync', '--full']);
    if (syncCode !== 0) log(`duckling sync exited with code ${syncCode}; see the output above and ${display(logFile)}`);

    const sql = SAMPLE_QUERIES[source.dataset];
    log('sample query through the CLI:');
    const queryCode = await runCli(root, envFile, envValues, ['query', sql]);
    printInstructions({ envValues, envFile, keyFile, logFile, source, sql, stopping: options.exitAfterSync });

    if (options.exitAfterSync) {
      await cleanup();
      return syncCode !== 0 || queryCode !== 0 ? 1 : 0;
    }
    console.log('Press Ctrl-C to stop Duckling and the private MariaDB.');
    const { code } = await server.exited;
    // After Ctrl-C the signal handler stops everything and exits; this path is only for a crash.
    if (cleaning) return new Promise(() => {});
    log(`duckling serve exited on its own with code ${code}:\n${tail(server.logFile)}`);
    await cleanup();
    return 1;
  } catch (error) {
    console.error(`[demo] failed: ${error instanceof Error ? error.message : error}`);
    await cleanup();
    return 1;
  }
}

process.exit(await main());
