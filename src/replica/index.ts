export { Replica, duckdbVersion, type ReplicaOptions, type ReaderLease } from './replica.js';
export { Mutex } from './mutex.js';
export { STAGING_PREFIX, quoteIdentifier, INTERNAL_FORMAT_VERSION } from './internal-schema.js';
export type { ReplicaSettings } from './settings.js';
export { LoadGate } from './load-gate.js';
