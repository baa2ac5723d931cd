import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { postJson, readJson, startDuckling, TEST_API_KEY, type RunningDuckling } from '../harness/duckling.js';
import { testSource, type TestSource } from '../harness/mariadb.js';
import { closedPort, runCli } from './run-cli.js';

let source: TestSource;
let server: RunningDuckling;
let schemaB: string;
let second: string;
let broken: string;

function serverEnv(): Record<string, string> {
  return { DUCKLING_URL: server.url, DUCKLING_API_KEY: TEST_API_KEY };
}

async function addDatabase(name: string, connectionString: string): Promise<string> {
  const response = await postJson(server, '/api/databases', { name, mysqlConnectionString: connectionString });
  assert.equal(response.status, 200, await response.clone().text());
  return (await readJson(response)).database.id;
}

before(async () => {
  source = await testSource();
  const schemaA = await source.createSchema('all_a');
  schemaB = await source.createSchema('all_b');
  for (const schema of [schemaA, schemaB]) {
    const admin = await source.connect(schema);
    try {
      await admin.query(`CREATE TABLE items (id INT PRIMARY KEY, name VARCHAR(10)); INSERT INTO items SELECT seq, 'x' FROM seq_1_to_4`);
    } finally {
      await admin.end();
    }
  }
  server = await startDuckling({ MYSQL_CONNECTION_STRING: source.url(schemaA) });
  second = await addDatabase('Second', source.url(schemaB));
  broken = await addDatabase('Broken', `mysql://root@127.0.0.1:${await closedPort()}/${schemaA}`);
});

after(() => server?.stop());

test('sync --all runs every database', async () => {
  const run = await runCli(['sync', '--all', '--json'], { env: serverEnv() });
  assert.equal(run.code, 1, run.stderr);

  const lines = run.stdout.trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
  const headers = lines.filter((line) => line.type === 'database').map((line) => line.databaseId);
  assert.deepEqual(headers, ['default', second, broken]);
  const summaries = lines.filter((line) => line.type === 'summary');
  assert.equal(summaries.length, 2, 'the two reachable databases each print a summary');
  assert.deepEqual(lines.at(-1), {
    type: 'all',
    databases: [
      { databaseId: 'default', exitCode: 0 },
      { databaseId: second, exitCode: 0 },
      { databaseId: broken, exitCode: 1 },
    ],
  });
  assert.match(run.stderr, /is unavailable: connection refused/);
  assert.match(run.stderr, new RegExp(`1 of 3 databases failed: ${broken} \\(exit 1\\)`));

  for (const db of ['default', second]) {
    const count = await postJson(server, `/api/query?db=${db}`, { sql: 'SELECT count(*) AS n FROM items' });
    assert.equal(Number((await readJson(count)).rows[0].n), 4, db);
  }
});

test('validate --all exits with the highest code', async () => {
  const admin = await source.connect(schemaB);
  try {
    await admin.query(`INSERT INTO items VALUES (5, 'new')`);
  } finally {
    await admin.end();
  }
  const run = await runCli(['validate', '--all'], { env: serverEnv() });
  assert.equal(run.code, 3, run.stderr);
  assert.match(run.stdout, /^Database default$/m);
  assert.match(run.stdout, new RegExp(`^Database ${second}$`, 'm'));
  assert.match(run.stdout, /^items\s+5\s+4\s+1\s+mismatch/m);
  assert.match(run.stderr, new RegExp(`2 of 3 databases failed: ${second} \\(exit 3\\), ${broken} \\(exit 1\\)`));
});

test('--all excludes --db and --table', async () => {
  const withDb = await runCli(['sync', '--all', '--db', 'default'], { env: serverEnv() });
  assert.equal(withDb.code, 2);
  assert.match(withDb.stderr, /--all and --db exclude each other/);

  const withTable = await runCli(['validate', '--all', '--table', 'items'], { env: serverEnv() });
  assert.equal(withTable.code, 2);
  assert.match(withTable.stderr, /--table names a table of one database/);

  const doctor = await runCli(['doctor', '--all', '-d', 'default'], { env: serverEnv() });
  assert.equal(doctor.code, 2);
  assert.match(doctor.stderr, /--all and --db exclude each other/);
});

test('--all with the server down exits 4', async () => {
  const run = await runCli(['sync', '--all'], { env: { DUCKLING_URL: `http://127.0.0.1:${await closedPort()}`, DUCKLING_API_KEY: TEST_API_KEY } });
  assert.equal(run.code, 4, run.stderr);
});
