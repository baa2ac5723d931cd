export { DatabaseRegistry, RegistryError, REGISTRY_FILE_NAME, DEFAULT_DATABASE_ID } from './database-registry.js';
export { DATABASE_ID_PATTERN, validateRecords, type DatabaseRecord, type DatabaseSyncSettings } from './database-record.js';
export { deriveDatabaseId, RESERVED_DATABASE_IDS } from './database-id.js';
export { writeFileAtomic } from './atomic-write.js';
