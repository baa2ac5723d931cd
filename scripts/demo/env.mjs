// The demo's env file: its own data directory, port, source and a fresh API key on every run.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import { freePort } from '../lib/private-mariadb.mjs';

export const DEFAULT_PORT = 3001;

/** True when nothing listens on 127.0.0.1:`port`. */
function isPortFree(port) {
  return new Promise((resolve) => {
    const probe = net.createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve(true)));
  });
}

/** $PORT when set, else 3001 when free, else any free port. */
export async function choosePort(requested) {
  if (requested !== undefined && requested !== '') {
    const port = Number(requested);
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new Error(`invalid PORT ${JSON.stringify(requested)}: expected a port number from 1 to 65535, or leave it unset`);
    }
    return port;
  }
  return (await isPortFree(DEFAULT_PORT)) ? DEFAULT_PORT : freePort();
}

/**
 * Variables of the demo server. Scheduled syncs, backups and the MySQL protocol listener are off
 * so that the demo's only sync is the one it runs and no second port is taken.
 */
export function demoEnvironment({ port, dataPath, connectionString }) {
  return {
    NODE_ENV: 'development',
    HOST: '127.0.0.1',
    PORT: String(port),
    DATA_PATH: dataPath,
    MYSQL_CONNECTION_STRING: connectionString,
    DUCKLING_API_KEY: randomBytes(32).toString('hex'),
    // The server refuses to start without an admin account and a session secret.
    ADMIN_USERNAME: 'admin',
    ADMIN_PASSWORD: randomBytes(18).toString('base64url'),
    SESSION_SECRET: randomBytes(32).toString('hex'),
    DUCKLING_URL: `http://127.0.0.1:${port}`,
    AUTO_START_SYNC: 'false',
    AUTO_BACKUP: 'false',
    MYSQL_PROTOCOL_ENABLED: 'false',
    LOG_LEVEL: 'info',
  };
}

/** Writes `values` as an env file readable by its owner only (it contains the API key and the source password). */
export function writeEnvFile(file, values) {
  const lines = ['# Demo settings written by scripts/demo/run.mjs; rewritten on every "npm run demo".'];
  for (const [name, value] of Object.entries(values)) lines.push(`${name}=${value}`);
  writeFileSync(file, lines.join('\n') + '\n', { mode: 0o600 });
}
