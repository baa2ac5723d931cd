import type { S3Settings } from '../../registry/index.js';
import { keyFingerprintHex } from '../encryption/keys.js';
import { verifyManifestHmac } from '../encryption/manifest-mac.js';
import type { BackupListEntry } from '../listing.js';
import { parseManifest, type BackupManifest } from '../manifest.js';
import { backupNamePattern } from '../names.js';
import { dataObjectKey, manifestObjectKey, parseObjectKey } from './object-keys.js';
import { allEncryptionKeys } from './s3-settings-changes.js';
import type { S3ObjectStore, StoredObject } from './s3-object-store.js';
import type { StoredManifest } from './s3-upload.js';

/** One backup in the bucket: its data object and manifest object, either of which may be missing. */
export interface S3BackupObjects {
  name: string;
  createdAt: Date;
  data: StoredObject | null;
  encrypted: boolean;
  manifest: StoredObject | null;
}

/**
 * Collects the backup objects of one database under its prefix, following every listing page.
 * Keys of other databases under the same prefix and unrelated keys are skipped.
 */
export async function collectBackupObjects(store: S3ObjectStore, settings: S3Settings, databaseId: string): Promise<S3BackupObjects[]> {
  const pattern = backupNamePattern(databaseId);
  const backups = new Map<string, S3BackupObjects>();
  for await (const object of store.list(settings.pathPrefix)) {
    const parsed = parseObjectKey(settings.pathPrefix, object.key);
    if (!parsed || !pattern.test(parsed.name)) continue;

    const entry = backups.get(parsed.name) ?? { name: parsed.name, createdAt: parsed.createdAt, data: null, encrypted: false, manifest: null };
    if (parsed.kind === 'manifest') {
      entry.manifest = object;
    } else {
      entry.data = object;
      entry.encrypted = parsed.encrypted;
    }
    backups.set(parsed.name, entry);
  }
  return [...backups.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
}

/**
 * Describes each backup for `GET /api/backups`: `complete` when the manifest exists, records the
 * data object's key and size, and (for `client-aes256` with a known key) its MAC verifies;
 * `incomplete` when the data object has no manifest; `invalid` otherwise. Reads every manifest.
 */
export async function describeBackups(store: S3ObjectStore, settings: S3Settings, backups: S3BackupObjects[]): Promise<BackupListEntry[]> {
  const entries: BackupListEntry[] = [];
  for (const backup of backups) {
    const key = backup.data?.key ?? dataObjectKey(settings.pathPrefix, backup.name, settings.encryption === 'client-aes256');
    const base = {
      name: backup.name,
      location: 's3' as const,
      key,
      size: backup.data?.sizeBytes ?? 0,
      lastModified: (backup.data ?? backup.manifest)!.lastModified.toISOString(),
    };
    if (!backup.manifest) {
      entries.push({ ...base, status: 'incomplete', encryption: backup.encrypted ? 'client-aes256' : 'unknown' });
      continue;
    }

    const text = await store.getText(manifestObjectKey(settings.pathPrefix, backup.name));
    let manifest: StoredManifest;
    try {
      manifest = parseManifest(text ?? '') as StoredManifest;
    } catch {
      entries.push({ ...base, status: 'invalid', encryption: backup.encrypted ? 'client-aes256' : 'unknown' });
      continue;
    }

    const entry: BackupListEntry = { ...base, status: manifestStatus(backup, manifest, settings), encryption: encryptionMode(manifest), manifest };
    if (manifest.encryption) entry.keyFingerprint = manifest.encryption.keyFingerprint;
    entries.push(entry);
  }
  return entries;
}

function manifestStatus(backup: S3BackupObjects, manifest: BackupManifest, settings: S3Settings): BackupListEntry['status'] {
  if (!backup.data || manifest.object.key !== backup.data.key || manifest.object.size !== backup.data.sizeBytes) return 'invalid';
  if (!manifest.encryption) return 'complete';

  // A backup whose key is not configured any more cannot be checked here; the restore reports it.
  const masterKey = allEncryptionKeys(settings).find((candidate) => keyFingerprintHex(candidate) === manifest.encryption!.keyFingerprint);
  if (!masterKey) return 'complete';
  try {
    verifyManifestHmac(manifest as unknown as Record<string, unknown>, masterKey);
    return 'complete';
  } catch {
    return 'invalid';
  }
}

function encryptionMode(manifest: StoredManifest): string {
  if (manifest.encryption) return manifest.encryption.mode;
  return manifest.serverSideEncryption ?? 'none';
}
