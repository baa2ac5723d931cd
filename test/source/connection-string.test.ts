import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { DucklingError } from '../../src/errors/index.js';
import { parseConnectionString } from '../../src/source/index.js';

const tlsDir = mkdtempSync(path.join(os.tmpdir(), 'duckling-tls-'));
writeFileSync(path.join(tlsDir, 'ca.pem'), 'not a real certificate');

test('connection string full form', () => {
  const parsed = parseConnectionString('mysql://app%40x:p%40ss%3Aw%2Frd@db.example.com:3307/shop?ssl-mode=verify_ca&ssl-ca=ca.pem&connectTimeout=2500', tlsDir);
  assert.deepEqual(parsed.endpoint, { host: 'db.example.com', port: 3307, user: 'app@x', schema: 'shop', sslMode: 'VERIFY_CA' });
  assert.equal(parsed.password, 'p@ss:w/rd');
  assert.equal(parsed.sslMode, 'VERIFY_CA');
  assert.equal(parsed.sslFiles.ca, path.join(tlsDir, 'ca.pem'));
  assert.equal(parsed.sslFiles.cert, null);
  assert.equal(parsed.connectTimeoutMs, 2500);
});

test('connection string defaults', () => {
  const parsed = parseConnectionString('mysql://root@127.0.0.1/sakila', tlsDir);
  assert.equal(parsed.endpoint.port, 3306);
  assert.equal(parsed.password, '');
  assert.equal(parsed.sslMode, 'DISABLED');
  assert.equal(parsed.connectTimeoutMs, null);
});

test('connection string ssl=true', () => {
  assert.equal(parseConnectionString('mysql://u:p@h/db?ssl=true', tlsDir).sslMode, 'VERIFY_IDENTITY');
});

test('connection string ipv6 host', () => {
  const parsed = parseConnectionString('mysql://u@[::1]:3310/db', tlsDir);
  assert.equal(parsed.endpoint.host, '::1');
  assert.equal(parsed.endpoint.port, 3310);
});

const BAD_INPUTS: Array<[string, RegExp]> = [
  ['not a url', /not a URL/],
  ['postgres://u:p@h/db', /scheme is "postgres"/],
  ['mysql://u:p@h', /schema is missing/],
  ['mysql://:p@h/db', /user is missing/],
  ['mysql://u:p@h/db?sslmode=on', /unknown option "sslmode"/],
  ['mysql://u:p@h/db?ssl-mode=SOMETIMES', /ssl-mode "SOMETIMES" is not one of/],
  ['mysql://u:p@h/db?ssl=yes', /ssl="yes" must be true or false/],
  ['mysql://u:p@h/db?ssl=true&ssl-mode=REQUIRED', /ssl=true means VERIFY_IDENTITY/],
  ['mysql://u:p@h/db?ssl-ca=../etc/passwd', /resolves outside MYSQL_TLS_DIR/],
  ['mysql://u:p@h/db?ssl-ca=/etc/ssl/ca.pem', /resolves outside MYSQL_TLS_DIR/],
  ['mysql://u:p@h/db?connectTimeout=fast', /connectTimeout="fast" must be a whole number/],
  ['mysql://u:p%ZZ@h/db', /malformed percent escape/],
  ['mysql://u:p@h:0/db', /port 0 is not a valid port/],
  ['mysql://u:p@h:99999/db', /port 99999 is invalid; give a number from 1 to 65535/],
  ['mysql://u:p@[::1]:33x/db', /the port is not a number/],
  ['mysql://u:Secret-pw@', /not a URL/],
  ['mysql://u:p@h/a/b', /contains "\/"/],
];

test('connection string bad inputs', () => {
  for (const [input, message] of BAD_INPUTS) {
    assert.throws(
      () => parseConnectionString(input, tlsDir),
      (error: unknown) => {
        assert.ok(error instanceof DucklingError, `${input}: DucklingError`);
        assert.equal(error.code, 'DUCKLING_VALIDATION_FAILED', input);
        assert.match(error.message, message, input);
        assert.ok(!error.message.includes('Secret-pw'), `${input}: the message quotes the password`);
        return true;
      },
    );
  }
});

test('connection string hides password', () => {
  for (const input of ['mysql://u:s3cr3t@h/db?bogus=1', 'mysql://u:s3cr3t@h', 'mysql://u:s3cr3t@h/db?ssl-ca=../x']) {
    assert.throws(() => parseConnectionString(input, tlsDir), (error: Error) => !error.message.includes('s3cr3t'));
  }
});

test('connection string symlink escape', () => {
  const outside = mkdtempSync(path.join(os.tmpdir(), 'duckling-outside-'));
  writeFileSync(path.join(outside, 'key.pem'), 'secret');
  mkdirSync(path.join(tlsDir, 'links'), { recursive: true });
  symlinkSync(path.join(outside, 'key.pem'), path.join(tlsDir, 'links', 'key.pem'));
  assert.throws(() => parseConnectionString('mysql://u@h/db?ssl-key=links/key.pem', tlsDir), /resolves outside MYSQL_TLS_DIR/);
});
