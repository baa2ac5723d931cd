import type { DatabaseKeyRecord, DatabaseKeyRecords } from '../auth/index.js';
import type { DatabaseRegistry } from '../registry/index.js';

/**
 * Database keys kept in the `apiKeys` field of each record of `databases.json`. Reads come from the
 * registry's records in memory; writes rewrite the file through the registry, one at a time.
 */
export function registryKeyRecords(registry: DatabaseRegistry): DatabaseKeyRecords {
  return {
    keysOf(databaseId) {
      const record = registry.get(databaseId);
      if (!record) return null;
      return Array.isArray(record.apiKeys) ? (record.apiKeys as DatabaseKeyRecord[]) : [];
    },
    updateKeys(databaseId, change) {
      return registry.update(databaseId, (record) => {
        const current = Array.isArray(record.apiKeys) ? (record.apiKeys as DatabaseKeyRecord[]) : [];
        return { ...record, apiKeys: change(current) };
      });
    },
  };
}
