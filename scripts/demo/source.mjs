// Source side of the demo: a private MariaDB with Sakila (or the generated shop) and a read-only
// replication account for Duckling.
import { randomBytes } from 'node:crypto';
import { loadSakila, sakilaDirectory, startPrivateMariaDb } from '../lib/private-mariadb.mjs';
import { loadShop } from '../shop/generate.mjs';

const DEMO_USER = 'duckling';

/**
 * Starts a private MariaDB, loads Sakila from `sakilaDir` (or, when it is null, the generated shop
 * at `shopScale`), creates account `duckling` and returns `{ server, dataset, connectionString, summary }`.
 * `onStarted(server)` is called as soon as the server runs, so that a signal handler can stop it
 * during loading. The server is stopped again when loading fails.
 */
export async function startDemoSource({ sakilaDir, shopScale, log, onStarted }) {
  log('starting a private MariaDB (temporary data directory, loopback only)');
  const server = await startPrivateMariaDb();
  onStarted(server);
  try {
    const dataset = sakilaDir ? 'sakila' : 'shop';
    const schema = dataset;
    const started = Date.now();
    let summary;
    if (sakilaDir) {
      log(`loading Sakila from ${sakilaDir}`);
      loadSakila(server, sakilaDir);
      summary = 'Sakila (16 tables, a DVD rental store)';
    } else {
      log(`Sakila not found: generating the sample shop database (scale ${shopScale})`);
      const counts = await loadShop({ host: server.host, port: server.port }, { schema, scale: shopScale });
      summary = `sample shop (${Object.entries(counts).map(([table, rows]) => `${table} ${rows.toLocaleString('en-US')}`).join(', ')})`;
    }
    log(`loaded ${summary} into schema ${schema} in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const password = randomBytes(18).toString('hex');
    createReplicationAccount(server, schema, password);
    const connectionString = `mysql://${DEMO_USER}:${password}@${server.host}:${server.port}/${schema}`;
    return { server, dataset, connectionString, summary };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

/**
 * Creates the account Duckling connects with: SELECT on the replicated schema only, plus the
 * replication privileges that reading the binlog position needs.
 */
function createReplicationAccount(server, schema, password) {
  server.runSql(
    [
      `CREATE USER '${DEMO_USER}'@'127.0.0.1' IDENTIFIED BY '${password}'`,
      `GRANT SELECT, SHOW VIEW ON \`${schema}\`.* TO '${DEMO_USER}'@'127.0.0.1'`,
      `GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '${DEMO_USER}'@'127.0.0.1'`,
    ].join('; '),
  );
}

/** Sakila folder from the first argument, $SAKILA_DIR or ../shared/datasets/sakila; null when absent. */
export function findSakila(explicit) {
  return sakilaDirectory(explicit);
}
