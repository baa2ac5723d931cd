import { createHmac, timingSafeEqual } from 'node:crypto';
import { canonicalizeJson } from './canonical-json.js';
import { BackupIntegrityError } from './errors.js';
import { deriveManifestKey } from './keys.js';

/**
 * Computes `manifestHmac`: HMAC-SHA256, keyed by the manifest key derived from the master key,
 * over the RFC 8785 canonical JSON of the manifest without its `manifestHmac` field. Returns hex.
 */
export function computeManifestHmac(manifest: Record<string, unknown>, masterKey: Buffer): string {
  const { manifestHmac: _ignored, ...covered } = manifest;
  return createHmac('sha256', deriveManifestKey(masterKey)).update(canonicalizeJson(covered), 'utf8').digest('hex');
}

/** Checks `manifestHmac` in constant time; throws `BackupIntegrityError` when it is missing or differs. */
export function verifyManifestHmac(manifest: Record<string, unknown>, masterKey: Buffer): void {
  const recorded = manifest.manifestHmac;
  if (typeof recorded !== 'string' || !/^[0-9a-f]{64}$/.test(recorded)) {
    throw new BackupIntegrityError('manifest_mac', 'the manifest has no manifestHmac of 64 lower-case hexadecimal characters');
  }
  const expected = Buffer.from(computeManifestHmac(manifest, masterKey), 'hex');
  if (!timingSafeEqual(expected, Buffer.from(recorded, 'hex'))) {
    throw new BackupIntegrityError('manifest_mac', 'the manifest MAC does not match; the manifest was changed or written with another key');
  }
}
