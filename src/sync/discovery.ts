import { DucklingError, errorMessage, isDucklingError } from '../errors/index.js';
import type { SourceTable } from '../source/index.js';
import type { SyncTarget } from './types.js';

/**
 * Lists the source tables to sync (excluded tables already left out). A source that cannot be
 * reached or rejects the login becomes 502 DUCKLING_SOURCE_UNAVAILABLE naming host and port.
 */
export async function discoverTables(target: SyncTarget): Promise<SourceTable[]> {
  try {
    return await target.source.listTables([...target.excludedTables]);
  } catch (error) {
    if (isDucklingError(error)) throw error;
    const endpoint = target.source.endpoint as { host?: string; port?: number };
    throw new DucklingError(
      'DUCKLING_SOURCE_UNAVAILABLE',
      { host: endpoint.host ?? 'unknown', port: endpoint.port ?? 'unknown', detail: `listing tables failed: ${errorMessage(error)}` },
      { cause: error },
    );
  }
}
