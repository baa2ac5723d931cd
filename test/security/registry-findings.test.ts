import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { readJson, startDuckling, type RunningDuckling } from '../harness/duckling.js';

// 0.0.0.0 is not a loopback address, so it raises source_plaintext, yet a connection attempt stays on
// this machine. Port 9 (discard) is normally closed, and creating a database does not connect anyway.
const REMOTE_SOURCE = 'mysql://reader:source-pw@0.0.0.0:9/shop';

interface FindingsBody {
  fatal: number;
  warnings: number;
  findings: Array<{ id: string; message: string }>;
}

describe('registry findings follow the registry', () => {
  let server: RunningDuckling;

  before(async () => {
    server = await startDuckling({ MYSQL_CONNECTION_STRING: '' });
  });

  after(async () => {
    await server?.stop();
  });

  async function findings(): Promise<FindingsBody> {
    return (await readJson(await server.request('/api/security/findings'))) as FindingsBody;
  }

  function ids(body: FindingsBody): string[] {
    return body.findings.map((finding) => finding.id);
  }

  test('added and deleted database', async () => {
    const initial = await findings();
    assert.ok(!ids(initial).includes('source_plaintext'), ids(initial).join(', '));
    assert.ok(!ids(initial).includes('secrets_unsealed'), ids(initial).join(', '));

    const created = await server.request('/api/databases', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'remote', mysqlConnectionString: REMOTE_SOURCE }),
    });
    assert.equal(created.status, 200, JSON.stringify(await readJson(created.clone())));

    const added = await findings();
    const plaintext = added.findings.find((finding) => finding.id === 'source_plaintext');
    assert.ok(plaintext, ids(added).join(', '));
    assert.match(plaintext.message, /remote \(0\.0\.0\.0\)/);
    assert.ok(ids(added).includes('secrets_unsealed'), ids(added).join(', '));
    assert.equal(added.warnings, initial.warnings + 2);
    assert.ok(!JSON.stringify(added).includes('source-pw'), 'source password in the findings');

    const health = await readJson(await server.request('/health'));
    assert.equal(health.security.warnings, added.warnings);

    const audit = await readJson(await server.request('/api/audit?event=security.findings&limit=1'));
    assert.deepEqual([...audit.events[0].detail.ids].sort(), ['secrets_unsealed', 'source_plaintext']);

    const deleted = await server.request('/api/databases/remote?deleteFiles=true', { method: 'DELETE' });
    assert.equal(deleted.status, 200);

    const removed = await findings();
    assert.deepEqual(ids(removed), ids(initial));
    assert.equal(removed.warnings, initial.warnings);
  });
});
