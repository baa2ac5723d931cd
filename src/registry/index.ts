export { DatabaseRegistry, RegistryError, REGISTRY_FILE_NAME, DEFAULT_DATABASE_ID } from './database-registry.js';
export { DATABASE_ID_PATTERN, validateRecords, type DatabaseRecord, type DatabaseSyncSettings } from './database-record.js';
export { deriveDatabaseId, RESERVED_DATABASE_IDS } from './database-id.js';
export { writeFileAtomic } from './atomic-write.js';
export { SecretSealer, SecretsUnreadableError, SECRETS_UNREADABLE, SEALED_PREFIX } from './secret-sealing.js';
export {
  S3_ENCRYPTION_MODES,
  findOverlappingPrefixes,
  validateS3Settings,
  type RetiredEncryptionKey,
  type S3EncryptionMode,
  type S3Settings,
} from './s3-settings.js';
