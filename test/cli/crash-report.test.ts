import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { writeCrashReport } from '../../src/cli/crash-report.js';
import { silentLogger } from '../../src/logging/index.js';

test('crash report omits the environment', () => {
  const dataPath = mkdtempSync(path.join(os.tmpdir(), 'duckling-crash-'));
  process.env.DUCKLING_TEST_CRASH_SECRET = 'do-not-write-me';
  const file = writeCrashReport(new Error('boom'), { dataPath }, silentLogger());
  assert.ok(file);
  assert.equal(path.dirname(file), path.join(dataPath, 'crash-reports'));
  assert.equal(statSync(file).mode & 0o777, 0o600);
  const text = readFileSync(file, 'utf8');
  assert.ok(!text.includes('do-not-write-me'));
  assert.equal(JSON.parse(text).environmentVariables, undefined);
  assert.match(text, /boom/);
});
