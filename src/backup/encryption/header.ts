import { BackupIntegrityError } from './errors.js';

/**
 * Size of the header of a `client-aes256` object. Its fields in wire order:
 * magic `DUCKLING` (8) ‖ version (1) ‖ algorithm (1) ‖ reserved zero (2) ‖ plaintext bytes per
 * chunk, big-endian (4) ‖ key fingerprint (8) ‖ HKDF salt (32) ‖ nonce prefix (7) ‖ reserved zero (1).
 */
export const HEADER_BYTES = 64;
export const MAGIC = Buffer.from('DUCKLING', 'ascii');
export const FORMAT_VERSION = 1;
/** AES-256-GCM chunked stream with keys from HKDF-SHA256. */
export const ALGORITHM_AES256_GCM_HKDF = 1;
export const DEFAULT_CHUNK_BYTES = 4 * 1024 * 1024;
/**
 * Largest chunk size accepted from a header. A reader keeps one chunk in memory, so a forged
 * header must not make it allocate more than this.
 */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024;
export const NONCE_PREFIX_BYTES = 7;
export const SALT_BYTES = 32;
export const FINGERPRINT_BYTES = 8;

export interface BackupHeader {
  chunkBytes: number;
  fingerprint: Buffer;
  salt: Buffer;
  noncePrefix: Buffer;
}

/** Encodes a header; the caller supplies fresh random salt and nonce prefix for every backup. */
export function encodeHeader(header: BackupHeader): Buffer {
  if (!Number.isInteger(header.chunkBytes) || header.chunkBytes < 1 || header.chunkBytes > MAX_CHUNK_BYTES) {
    throw new RangeError(`chunk size ${header.chunkBytes} is invalid; use 1 to ${MAX_CHUNK_BYTES} bytes`);
  }
  const bytes = Buffer.alloc(HEADER_BYTES);
  MAGIC.copy(bytes, 0);
  bytes.writeUInt8(FORMAT_VERSION, 8);
  bytes.writeUInt8(ALGORITHM_AES256_GCM_HKDF, 9);
  bytes.writeUInt32BE(header.chunkBytes, 12);
  copyExact(header.fingerprint, FINGERPRINT_BYTES, bytes, 16, 'fingerprint');
  copyExact(header.salt, SALT_BYTES, bytes, 24, 'salt');
  copyExact(header.noncePrefix, NONCE_PREFIX_BYTES, bytes, 56, 'nonce prefix');
  return bytes;
}

/** Decodes and checks a header; anything but the exact layout above is an integrity failure. */
export function decodeHeader(bytes: Buffer): BackupHeader {
  if (bytes.length < HEADER_BYTES) {
    throw new BackupIntegrityError('header', `object is ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  }
  if (!bytes.subarray(0, 8).equals(MAGIC)) throw new BackupIntegrityError('header', 'object does not start with the DUCKLING magic');

  const version = bytes.readUInt8(8);
  const algorithm = bytes.readUInt8(9);
  if (version !== FORMAT_VERSION || algorithm !== ALGORITHM_AES256_GCM_HKDF) {
    throw new BackupIntegrityError('header', `format version ${version}, algorithm ${algorithm} is not supported; expected version 1, algorithm 1`);
  }
  if (bytes.readUInt16BE(10) !== 0 || bytes.readUInt8(63) !== 0) {
    throw new BackupIntegrityError('header', 'reserved header bytes are not zero');
  }

  const chunkBytes = bytes.readUInt32BE(12);
  if (chunkBytes < 1 || chunkBytes > MAX_CHUNK_BYTES) {
    throw new BackupIntegrityError('header', `chunk size ${chunkBytes} is outside 1 to ${MAX_CHUNK_BYTES} bytes`);
  }
  return {
    chunkBytes,
    fingerprint: Buffer.from(bytes.subarray(16, 24)),
    salt: Buffer.from(bytes.subarray(24, 56)),
    noncePrefix: Buffer.from(bytes.subarray(56, 63)),
  };
}

/** Builds the 12-byte GCM nonce: nonce prefix ‖ 4-byte big-endian chunk counter ‖ final flag. */
export function chunkNonce(noncePrefix: Buffer, index: number, final: boolean): Buffer {
  const nonce = Buffer.alloc(12);
  noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, NONCE_PREFIX_BYTES);
  nonce.writeUInt8(final ? 1 : 0, 11);
  return nonce;
}

/** Builds a chunk's associated data: the whole header ‖ 8-byte big-endian chunk index ‖ final flag. */
export function chunkAad(header: Buffer, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(HEADER_BYTES + 9);
  header.copy(aad, 0, 0, HEADER_BYTES);
  aad.writeBigUInt64BE(BigInt(index), HEADER_BYTES);
  aad.writeUInt8(final ? 1 : 0, HEADER_BYTES + 8);
  return aad;
}

function copyExact(source: Buffer, length: number, target: Buffer, offset: number, field: string): void {
  if (source.length !== length) throw new RangeError(`${field} must be ${length} bytes, got ${source.length}`);
  source.copy(target, offset);
}
