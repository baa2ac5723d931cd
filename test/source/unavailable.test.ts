import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import { test } from 'node:test';
import { DucklingError } from '../../src/errors/index.js';
import { testSource } from '../harness/mariadb.js';
import { openSource } from './helpers.js';

/** Returns a loopback port that nothing listens on, by binding it and closing it again. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function assertUnavailable(error: unknown, host: string, port: number, secret: string): true {
  assert.ok(error instanceof DucklingError, 'DucklingError');
  assert.equal(error.code, 'DUCKLING_SOURCE_UNAVAILABLE');
  assert.equal(error.statusCode, 502);
  assert.ok(error.message.includes(`${host}:${port}`), `message names host and port: ${error.message}`);
  assert.equal(error.message.includes(secret), false, 'message hides the password');
  assert.equal(JSON.stringify(error.extra).includes(secret), false, 'extra hides the password');
  return true;
}

test('unreachable source port', async () => {
  const port = await closedPort();
  const source = openSource(`mysql://root:Sup3rSecret@127.0.0.1:${port}/shop`, { MYSQL_CONNECT_TIMEOUT_MS: '2000' });
  try {
    await assert.rejects(source.ping(), (error) => assertUnavailable(error, '127.0.0.1', port, 'Sup3rSecret'));
    await assert.rejects(source.listTables([]), (error) => assertUnavailable(error, '127.0.0.1', port, 'Sup3rSecret'));
    await assert.rejects(source.openSnapshot(), (error) => assertUnavailable(error, '127.0.0.1', port, 'Sup3rSecret'));
  } finally {
    await source.close();
  }
});

test('wrong source password', async () => {
  const server = await testSource();
  const schema = await server.createSchema('login');
  const user = `duck_${randomBytes(3).toString('hex')}`;
  const admin = await server.connect();
  try {
    await admin.query(`CREATE USER '${user}'@'%' IDENTIFIED BY 'right-password'; GRANT SELECT ON \`${schema}\`.* TO '${user}'@'%'`);
  } finally {
    await admin.end();
  }

  const wrong = openSource(`mysql://${user}:Wr0ng%40Pass@${server.host}:${server.port}/${schema}`);
  try {
    await assert.rejects(wrong.ping(), (error) => {
      assertUnavailable(error, server.host, server.port, 'Wr0ng@Pass');
      assert.match((error as Error).message, new RegExp(`user "${user}" was rejected`));
      return true;
    });
  } finally {
    await wrong.close();
  }

  const right = openSource(`mysql://${user}:right-password@${server.host}:${server.port}/${schema}`);
  try {
    assert.equal((await right.ping()).flavour, 'mariadb');
  } finally {
    await right.close();
  }
});

test('unknown source schema', async () => {
  const server = await testSource();
  const source = openSource(server.url('no_such_schema_here'));
  try {
    await assert.rejects(source.ping(), (error) => {
      assertUnavailable(error, server.host, server.port, 'unused');
      assert.match((error as Error).message, /schema "no_such_schema_here" does not exist/);
      return true;
    });
  } finally {
    await source.close();
  }
});
