export { canonicalizeJson } from './canonical-json.js';
export { decryptObjectInPlace, decryptObjectToFile, openEncryptedObject, verifyObjectHmac, type DecryptionResult, type OpenedEncryptedObject } from './decrypt-file.js';
export { EncryptingStream, TAG_BYTES, type EncryptionSummary } from './encrypt-stream.js';
export { BackupIntegrityError, BackupKeyUnknownError, type IntegrityStage } from './errors.js';
export { DEFAULT_CHUNK_BYTES, HEADER_BYTES, MAX_CHUNK_BYTES } from './header.js';
export { isHexKey, keyFingerprintHex, parseHexKey } from './keys.js';
export { StreamingObjectHmac } from './object-hmac.js';
export { computeManifestHmac, verifyManifestHmac } from './manifest-mac.js';
