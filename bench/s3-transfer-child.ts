// One measured S3 transfer in its own process, so that VmHWM is the peak RSS of that transfer
// alone. Started by bench/s3-backup.ts; prints one JSON line {durationMs, peakRssBytes, bytes}.
// Arguments: upload|restore, none|client-aes256, image or destination path, endpoint, bucket, backup name, hex key.
import { readFileSync } from 'node:fs';
import { prepareFromS3 } from '../src/backup/s3/s3-prepare.js';
import { parseObjectKey } from '../src/backup/s3/object-keys.js';
import { openS3ObjectStore } from '../src/backup/s3/open-store.js';
import { uploadImage } from '../src/backup/s3/s3-upload.js';
import type { ImageManifest } from '../src/backup/manifest.js';
import { digestFile } from '../src/backup/image-facts.js';
import { silentLogger } from '../src/logging/index.js';
import type { S3Settings } from '../src/registry/index.js';

const [operation, mode, filePath, endpoint, bucket, name, hexKey] = process.argv.slice(2) as [string, 'none' | 'client-aes256', string, string, string, string, string];

const settings: S3Settings = {
  enabled: true,
  bucket,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  endpoint,
  forcePathStyle: true,
  pathPrefix: 'bench/',
  encryption: mode,
  ...(mode === 'client-aes256' ? { encryptionKey: hexKey } : {}),
};

function peakRssBytes(): number {
  const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(match?.[1] ?? 0) * 1024;
}

/** Builds a manifest with only the facts the transfer needs, because the benchmark measures bytes moved, not DuckDB. */
async function imageManifest(imagePath: string): Promise<ImageManifest> {
  const plaintext = await digestFile(imagePath);
  return {
    format: 'duckling-backup',
    version: 1,
    backupId: name,
    databaseId: 'bench',
    createdAt: new Date().toISOString(),
    ducklingVersion: 'bench',
    duckdbVersion: 'bench',
    duckdbStorageVersion: null,
    source: { host: null, port: null, schema: null, flavour: null, identity: null, position: null, watermarks: {} },
    tables: [],
    schemaHash: '',
    plaintext,
  };
}

const store = openS3ObjectStore(settings);
try {
  if (operation === 'upload') {
    const image = await imageManifest(filePath);
    const started = performance.now();
    const uploaded = await uploadImage({ store, settings, name, imagePath: filePath, image });
    process.stdout.write(`${JSON.stringify({ durationMs: performance.now() - started, peakRssBytes: peakRssBytes(), bytes: uploaded.size })}\n`);
  } else {
    const key = `${settings.pathPrefix}${name}${mode === 'client-aes256' ? '.db.enc' : '.db'}`;
    const parsedKey = parseObjectKey(settings.pathPrefix, key);
    if (!parsedKey) throw new Error(`benchmark key ${key} does not parse`);
    const prepare = prepareFromS3({ store, settings, databaseId: 'bench', key, parsedKey, purpose: 'restore', logger: silentLogger() });
    const started = performance.now();
    const { checks } = await prepare(filePath);
    const failed = checks.find((check) => !check.ok);
    if (failed) throw new Error(`restore check ${failed.name} failed: ${failed.detail}`);
    process.stdout.write(`${JSON.stringify({ durationMs: performance.now() - started, peakRssBytes: peakRssBytes(), bytes: (await digestFile(filePath)).size })}\n`);
  }
} finally {
  store.destroy();
}
