export { createDuckling, type Duckling, type DucklingOptions } from './duckling.js';
export { DEFAULT_LOCK_RETRY, type LockRetryPolicy } from './open-databases.js';
export { DUCKLING_VERSION } from './version.js';
