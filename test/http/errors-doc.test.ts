import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { ERROR_CODES } from '../../src/errors/index.js';

test('docs/errors.md documents every code', async () => {
  const doc = await readFile(new URL('../../docs/errors.md', import.meta.url), 'utf8');
  const rows = new Map<string, string>();
  for (const match of doc.matchAll(/^\| `(DUCKLING_[A-Z0-9_]+)` \| (\d{3}) \|/gm)) rows.set(match[1]!, match[2]!);

  for (const [code, { status }] of Object.entries(ERROR_CODES)) {
    assert.ok(rows.has(code), `${code} has no row in docs/errors.md`);
    assert.equal(rows.get(code), String(status), `${code} is documented with status ${rows.get(code)}, the catalogue says ${status}`);
  }
});
