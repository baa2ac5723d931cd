import assert from 'node:assert/strict';
import { createHash, hkdfSync, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { after, before, describe, test } from 'node:test';
import {
  BackupIntegrityError,
  BackupKeyUnknownError,
  EncryptingStream,
  HEADER_BYTES,
  StreamingObjectHmac,
  TAG_BYTES,
  canonicalizeJson,
  computeManifestHmac,
  decryptObjectInPlace,
  decryptObjectToFile,
  keyFingerprintHex,
  openEncryptedObject,
  verifyManifestHmac,
  verifyObjectHmac,
  type EncryptionSummary,
} from '../../src/backup/encryption/index.js';
import { WorkerSha256 } from '../../src/backup/encryption/worker-hash.js';

const CHUNK = 32;
const masterKey = Buffer.from('00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff', 'hex');
const otherKey = Buffer.alloc(32, 7);
let directory: string;
let fileCounter = 0;

before(async () => {
  directory = await mkdtemp(path.join(os.tmpdir(), 'duckling-s3-encryption-'));
});

after(async () => {
  await rm(directory, { recursive: true, force: true });
});

/** Encrypts `plaintext` fed in pieces of `pieceBytes`, as a file stream would deliver it. */
async function encrypt(plaintext: Buffer, key = masterKey, pieceBytes = 7): Promise<{ object: Buffer; summary: EncryptionSummary }> {
  const pieces: Buffer[] = [];
  for (let offset = 0; offset < plaintext.length; offset += pieceBytes) pieces.push(plaintext.subarray(offset, offset + pieceBytes));
  const stream = new EncryptingStream(key, CHUNK);
  const object = await buffer(Readable.from(pieces).pipe(stream));
  return { object, summary: stream.summary() };
}

async function writeObject(object: Buffer): Promise<string> {
  fileCounter += 1;
  const file = path.join(directory, `object-${fileCounter}.enc`);
  await writeFile(file, object);
  return file;
}

/** Runs the whole restore-side check: key by fingerprint, whole-object HMAC, then every chunk. */
async function decrypt(object: Buffer, hmacHex: string, keys: Buffer[] = [masterKey]): Promise<Buffer> {
  const source = await writeObject(object);
  const target = `${source}.plain`;
  const opened = await openEncryptedObject(source, keys);
  await verifyObjectHmac(opened, hmacHex);
  const result = await decryptObjectToFile(opened, target);
  const plaintext = await readFile(target);
  assert.equal(result.plaintextSize, plaintext.length);
  assert.equal(result.plaintextSha256, createHash('sha256').update(plaintext).digest('hex'));
  return plaintext;
}

/** Decrypts without the HMAC check, to show that the chunk tags alone also catch a change. */
async function decryptChunksOnly(object: Buffer): Promise<{ error: unknown; targetLeft: boolean }> {
  const source = await writeObject(object);
  const target = `${source}.plain`;
  try {
    const opened = await openEncryptedObject(source, [masterKey]);
    await decryptObjectToFile(opened, target);
    return { error: null, targetLeft: existsSync(target) };
  } catch (error) {
    return { error, targetLeft: existsSync(target) };
  }
}

/** Runs the same restore-side check, decrypting over the object file as an S3 restore does. */
async function decryptInPlace(object: Buffer, hmacHex: string): Promise<Buffer> {
  const source = await writeObject(object);
  const opened = await openEncryptedObject(source, [masterKey]);
  await verifyObjectHmac(opened, hmacHex);
  const result = await decryptObjectInPlace(opened);
  const plaintext = await readFile(source);
  assert.equal(result.plaintextSize, plaintext.length);
  assert.equal(result.plaintextSha256, createHash('sha256').update(plaintext).digest('hex'));
  return plaintext;
}

/** Decrypts over the object file without the HMAC check; a failure must remove that file. */
async function decryptInPlaceChunksOnly(object: Buffer): Promise<{ error: unknown; fileLeft: boolean }> {
  const source = await writeObject(object);
  try {
    await decryptObjectInPlace(await openEncryptedObject(source, [masterKey]));
    return { error: null, fileLeft: existsSync(source) };
  } catch (error) {
    return { error, fileLeft: existsSync(source) };
  }
}

function chunkBounds(index: number): [number, number] {
  const start = HEADER_BYTES + index * (CHUNK + TAG_BYTES);
  return [start, start + CHUNK + TAG_BYTES];
}

describe('client-aes256 round trip', () => {
  for (const size of [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 3 * CHUNK, 3 * CHUNK + 5, 1000]) {
    test(`round trip of ${size} bytes`, async () => {
      const plaintext = randomBytes(size);
      const { object, summary } = await encrypt(plaintext);

      assert.deepEqual(await decrypt(object, summary.hmacSha256), plaintext);
      assert.equal(summary.objectSize, object.length);
      assert.equal(summary.chunkSize, CHUNK);
      assert.equal(summary.keyFingerprint, keyFingerprintHex(masterKey));
    });

    test(`in-place round trip of ${size} bytes`, async () => {
      const plaintext = randomBytes(size);
      const { object, summary } = await encrypt(plaintext);

      assert.deepEqual(await decryptInPlace(object, summary.hmacSha256), plaintext);
    });
  }

  test('exact chunk multiple has no empty chunk', async () => {
    const { object } = await encrypt(randomBytes(2 * CHUNK));
    assert.equal(object.length, HEADER_BYTES + 2 * (CHUNK + TAG_BYTES));
  });

  test('empty plaintext is one tag-only chunk', async () => {
    const { object } = await encrypt(Buffer.alloc(0));
    assert.equal(object.length, HEADER_BYTES + TAG_BYTES);
  });

  test('one large write is split into chunks', async () => {
    const plaintext = randomBytes(10 * CHUNK + 3);
    const { object, summary } = await encrypt(plaintext, masterKey, plaintext.length);
    assert.equal(object.length, HEADER_BYTES + 10 * (CHUNK + TAG_BYTES) + 3 + TAG_BYTES);
    assert.deepEqual(await decrypt(object, summary.hmacSha256), plaintext);
  });

  test('header layout', async () => {
    const { object } = await encrypt(randomBytes(5));
    const header = object.subarray(0, HEADER_BYTES);
    assert.equal(header.subarray(0, 8).toString('ascii'), 'DUCKLING');
    assert.equal(header[8], 1, 'version');
    assert.equal(header[9], 1, 'algorithm');
    assert.equal(header.readUInt16BE(10), 0, 'reserved');
    assert.equal(header.readUInt32BE(12), CHUNK, 'chunk size');
    assert.equal(header.subarray(16, 24).toString('hex'), keyFingerprintHex(masterKey));
    assert.equal(header[63], 0, 'reserved');
  });

  test('salt and nonce prefix differ per backup', async () => {
    const plaintext = randomBytes(40);
    const first = (await encrypt(plaintext)).object;
    const second = (await encrypt(plaintext)).object;
    assert.notDeepEqual(first.subarray(24, 56), second.subarray(24, 56), 'salt');
    assert.notDeepEqual(first.subarray(56, 63), second.subarray(56, 63), 'nonce prefix');
    assert.notDeepEqual(first.subarray(HEADER_BYTES), second.subarray(HEADER_BYTES), 'ciphertext');
  });

  test('fingerprint follows HKDF definition', () => {
    const expected = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(32), 'duckling-backup-v1 fingerprint', 8)).toString('hex');
    assert.equal(keyFingerprintHex(masterKey), expected);
  });

  test('fingerprint is 16 hex characters', () => {
    assert.match(keyFingerprintHex(masterKey), /^[0-9a-f]{16}$/);
    assert.notEqual(keyFingerprintHex(masterKey), keyFingerprintHex(otherKey));
  });
});

describe('client-aes256 tampering', () => {
  let plaintext: Buffer;
  let object: Buffer;
  let summary: EncryptionSummary;

  before(async () => {
    plaintext = randomBytes(4 * CHUNK + 9);
    ({ object, summary } = await encrypt(plaintext));
  });

  const tamperings: Array<[string, () => Buffer]> = [
    ['flipped ciphertext byte', () => {
      const copy = Buffer.from(object);
      copy[HEADER_BYTES + CHUNK + 3]! ^= 0x01;
      return copy;
    }],
    ['flipped tag byte', () => {
      const copy = Buffer.from(object);
      copy[chunkBounds(0)[1] - 1]! ^= 0x80;
      return copy;
    }],
    ['truncated inside a chunk', () => object.subarray(0, object.length - 5)],
    ['dropped last chunk', () => object.subarray(0, chunkBounds(4)[0])],
    ['swapped two chunks', () => {
      const [start0, end0] = chunkBounds(0);
      const [start1, end1] = chunkBounds(1);
      return Buffer.concat([object.subarray(0, start0), object.subarray(start1, end1), object.subarray(start0, end0), object.subarray(end1)]);
    }],
    ['extended with a copied chunk', () => Buffer.concat([object, object.subarray(...chunkBounds(1))])],
    ['extended by one byte', () => Buffer.concat([object, Buffer.from([0])])],
    ['edited chunk size in header', () => {
      const copy = Buffer.from(object);
      copy.writeUInt32BE(CHUNK + 16, 12);
      return copy;
    }],
    ['edited salt in header', () => {
      const copy = Buffer.from(object);
      copy[30]! ^= 0xff;
      return copy;
    }],
    ['edited nonce prefix in header', () => {
      const copy = Buffer.from(object);
      copy[58]! ^= 0x01;
      return copy;
    }],
  ];

  for (const [name, tamper] of tamperings) {
    test(`HMAC rejects ${name}`, async () => {
      await assert.rejects(decrypt(tamper(), summary.hmacSha256), (error: unknown) => {
        assert.ok(error instanceof BackupIntegrityError, `expected BackupIntegrityError, got ${String(error)}`);
        assert.equal(error.stage, 'hmac');
        return true;
      });
    });

    test(`chunk tags reject ${name}`, async () => {
      const { error, targetLeft } = await decryptChunksOnly(tamper());
      assert.ok(error instanceof BackupIntegrityError, `expected BackupIntegrityError, got ${String(error)}`);
      assert.equal(targetLeft, false, 'no decrypted file may stay on disk');
    });

    test(`in-place chunk tags reject ${name}`, async () => {
      const { error, fileLeft } = await decryptInPlaceChunksOnly(tamper());
      assert.ok(error instanceof BackupIntegrityError, `expected BackupIntegrityError, got ${String(error)}`);
      assert.equal(fileLeft, false, 'the partly decrypted object file must be removed');
    });
  }

  test('header with wrong magic', async () => {
    const copy = Buffer.from(object);
    copy.write('DUCKLINX', 0, 'ascii');
    const source = await writeObject(copy);
    await assert.rejects(openEncryptedObject(source, [masterKey]), (error: unknown) => error instanceof BackupIntegrityError && error.stage === 'header');
  });

  test('object shorter than header', async () => {
    const source = await writeObject(object.subarray(0, 20));
    await assert.rejects(openEncryptedObject(source, [masterKey]), (error: unknown) => error instanceof BackupIntegrityError && error.stage === 'header');
  });

  test('wrong key names fingerprint', async () => {
    const source = await writeObject(object);
    await assert.rejects(openEncryptedObject(source, [otherKey]), (error: unknown) => {
      assert.ok(error instanceof BackupKeyUnknownError);
      assert.equal(error.fingerprint, keyFingerprintHex(masterKey));
      assert.match(error.message, new RegExp(keyFingerprintHex(masterKey)));
      assert.doesNotMatch(error.message, new RegExp(masterKey.toString('hex')));
      return true;
    });
  });

  test('keyring key selected by fingerprint', async () => {
    assert.deepEqual(await decrypt(object, summary.hmacSha256, [otherKey, masterKey]), plaintext);
  });

  test('HMAC of another object rejected', async () => {
    const other = await encrypt(plaintext);
    await assert.rejects(decrypt(object, other.summary.hmacSha256), (error: unknown) => error instanceof BackupIntegrityError && error.stage === 'hmac');
  });

  test('streaming HMAC matches summary', () => {
    for (const pieceBytes of [1, 5, 63, 64, 65, 1000]) {
      const streaming = new StreamingObjectHmac(masterKey);
      for (let offset = 0; offset < object.length; offset += pieceBytes) streaming.update(object.subarray(offset, offset + pieceBytes));
      assert.doesNotThrow(() => streaming.verify(summary.hmacSha256), `pieces of ${pieceBytes} bytes`);
    }
  });

  test('streaming HMAC rejects flipped byte', () => {
    const copy = Buffer.from(object);
    copy[HEADER_BYTES + 2]! ^= 0x04;
    const streaming = new StreamingObjectHmac(masterKey);
    streaming.update(copy);
    assert.throws(() => streaming.verify(summary.hmacSha256), (error: unknown) => error instanceof BackupIntegrityError && error.stage === 'hmac');
  });

  test('streaming HMAC rejects short object', () => {
    const streaming = new StreamingObjectHmac(masterKey);
    streaming.update(object.subarray(0, 10));
    assert.throws(() => streaming.verify(summary.hmacSha256), /shorter than the 64-byte header/);
  });

  test('malformed HMAC text rejected', async () => {
    await assert.rejects(decrypt(object, 'abc'), (error: unknown) => error instanceof BackupIntegrityError && error.stage === 'hmac');
  });
});

describe('RFC 8785 canonical JSON', () => {
  test('sorts keys by UTF-16 code units', () => {
    const value = { '\u20ac': 'Euro Sign', '\r': 'Carriage Return', '\ufb33': 'Hebrew Letter Dalet With Dagesh', '1': 'One', '\ud83d\ude00': 'Emoji: Grinning Face', '\u0080': 'Control', '\u00f6': 'Latin Small Letter O With Diaeresis' };
    // Integer-like keys come first in a parsed JS object, so the order is read from the text.
    const serializedOrder = [...canonicalizeJson(value).matchAll(/"([^"]*)":/g)].map((match) => JSON.parse(`"${match[1]}"`) as string);
    assert.deepEqual(serializedOrder, ['\r', '1', '\u0080', '\u00f6', '\u20ac', '\ud83d\ude00', '\ufb33']);
  });

  test('numbers as ECMAScript writes them', () => {
    assert.equal(canonicalizeJson([1e21, 1e-7, 0.000001, -0, 100, 4.5, 333333333.3333333]), '[1e+21,1e-7,0.000001,0,100,4.5,333333333.3333333]');
  });

  test('no whitespace and nested objects sorted', () => {
    assert.equal(canonicalizeJson({ b: [true, null, 'x"y'], a: { d: 1, c: 2 } }), '{"a":{"c":2,"d":1},"b":[true,null,"x\\"y"]}');
  });

  test('non-finite numbers rejected', () => {
    assert.throws(() => canonicalizeJson({ size: Number.NaN }), /no representation/);
  });
});

describe('manifest MAC', () => {
  const manifest = { format: 'duckling-backup', version: 1, databaseId: 'shop', tables: [{ name: 'a', rows: 3 }] };

  test('key order does not change MAC', () => {
    const reordered = { tables: [{ rows: 3, name: 'a' }], databaseId: 'shop', version: 1, format: 'duckling-backup' };
    assert.equal(computeManifestHmac(manifest, masterKey), computeManifestHmac(reordered, masterKey));
  });

  test('signed manifest verifies', () => {
    const signed = { ...manifest, manifestHmac: computeManifestHmac(manifest, masterKey) };
    assert.doesNotThrow(() => verifyManifestHmac(signed, masterKey));
  });

  test('changed field rejected', () => {
    const signed = { ...manifest, manifestHmac: computeManifestHmac(manifest, masterKey) };
    assert.throws(() => verifyManifestHmac({ ...signed, databaseId: 'other' }, masterKey), BackupIntegrityError);
  });

  test('other key rejected', () => {
    const signed = { ...manifest, manifestHmac: computeManifestHmac(manifest, masterKey) };
    assert.throws(() => verifyManifestHmac(signed, otherKey), BackupIntegrityError);
  });

  test('missing MAC rejected', () => {
    assert.throws(() => verifyManifestHmac(manifest, masterKey), BackupIntegrityError);
  });
});

describe('worker SHA-256', () => {
  test('matches createHash over updates', async () => {
    const hasher = new WorkerSha256(64);
    const reused = Buffer.alloc(64);
    const expected = createHash('sha256');
    try {
      // Reusing one buffer shows that each update is copied before `update` resolves.
      for (let round = 0; round < 10; round += 1) {
        randomBytes(64).copy(reused);
        const length = round === 9 ? 5 : 64;
        expected.update(reused.subarray(0, length));
        await hasher.update(reused.subarray(0, length));
      }
      assert.equal(await hasher.digestHex(), expected.digest('hex'));
    } finally {
      await hasher.close();
    }
  });

  test('empty input digest', async () => {
    const hasher = new WorkerSha256(16);
    try {
      assert.equal(await hasher.digestHex(), createHash('sha256').digest('hex'));
    } finally {
      await hasher.close();
    }
  });

  test('oversized update rejected', async () => {
    const hasher = new WorkerSha256(16);
    try {
      await assert.rejects(hasher.update(Buffer.alloc(17)), /update of 17 bytes exceeds the 16-byte slot/);
    } finally {
      await hasher.close();
    }
  });

  test('update after close rejected', async () => {
    const hasher = new WorkerSha256(16);
    await hasher.close();
    await assert.rejects(hasher.update(Buffer.alloc(1)), /closed/);
  });
});
