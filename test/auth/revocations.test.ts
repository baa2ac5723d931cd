import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { FileRevocationList } from '../../src/auth/index.js';
import { silentLogger } from '../../src/logging/index.js';

let directory: string;
before(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'duckling-revocations-'));
});
after(async () => {
  await rm(directory, { recursive: true, force: true });
});

describe('FileRevocationList', () => {
  test('revocation survives a reload', async () => {
    const file = path.join(directory, 'survive.json');
    const nowSec = Math.floor(Date.now() / 1000);
    const first = await FileRevocationList.load(file, silentLogger());
    await first.revoke('jti-a', nowSec + 3600);

    const second = await FileRevocationList.load(file, silentLogger());
    assert.equal(await second.isRevoked('jti-a'), true);
    assert.equal(await second.isRevoked('jti-b'), false);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  test('expired entries are pruned', async () => {
    const file = path.join(directory, 'prune.json');
    let nowMs = Date.parse('2030-01-01T00:00:00Z');
    const list = await FileRevocationList.load(file, silentLogger(), () => nowMs);
    await list.revoke('short', nowMs / 1000 + 60);
    await list.revoke('long', nowMs / 1000 + 3600);

    nowMs += 120_000;
    assert.equal(await list.prune(), 1);
    const saved = JSON.parse(await readFile(file, 'utf8'));
    assert.deepEqual(saved.revoked.map((entry: { jti: string }) => entry.jti), ['long']);
  });

  test('listeners hear revocations', async () => {
    const list = await FileRevocationList.load(path.join(directory, 'listen.json'), silentLogger());
    const heard: string[] = [];
    list.onRevoked((jti) => heard.push(jti));
    await list.revoke('jti-x', Date.now() / 1000 + 60);
    await list.revoke('jti-x', Date.now() / 1000 + 60);
    assert.deepEqual(heard, ['jti-x']);
  });

  test('corrupt file stops loading', async () => {
    const file = path.join(directory, 'corrupt.json');
    await writeFile(file, '{"revoked": [{"jti": 1}]}');
    await assert.rejects(FileRevocationList.load(file, silentLogger()), /corrupt\.json must contain .*delete it/);
    await writeFile(file, 'not json');
    await assert.rejects(FileRevocationList.load(file, silentLogger()), /is not valid JSON/);
  });
});
