/**
 * The error catalogue: every code the API can return, with its HTTP status and message template.
 * Code throws `DucklingError`; only the HTTP error handler turns one into a response body.
 * Templates use `{name}` placeholders filled from the error's params.
 */
export const ERROR_CODES = {
  DUCKLING_VALIDATION_FAILED: { status: 400, template: 'Request validation failed: {detail}' },
  DUCKLING_INVALID_IDENTIFIER: { status: 400, template: 'Invalid {kind} "{value}": {reason}' },
  DUCKLING_QUERY_INVALID: { status: 400, template: 'Invalid query: {detail}' },
  DUCKLING_SOURCE_NOT_CONFIGURED: {
    status: 400,
    template: 'Database "{db}" has no source connection string; set MYSQL_CONNECTION_STRING or add the database with one',
  },
  DUCKLING_S3_NOT_CONFIGURED: {
    status: 400,
    template: 'Database "{db}" has no S3 settings{detail}; save them first with PUT /api/databases/{db}/s3',
  },
  DUCKLING_AUTH_CREDENTIALS_IN_URL: {
    status: 400,
    template: 'Credentials are not accepted in the URL (query parameter {parameters}); remove it and send "Authorization: Bearer <key>" instead',
  },
  DUCKLING_AUTH_REQUIRED: { status: 401, template: 'Authentication required: {detail}' },
  DUCKLING_AUTH_INVALID: { status: 401, template: 'Invalid credentials: {detail}' },
  DUCKLING_AUTH_LOGIN_FAILED: { status: 401, template: 'Login failed: {detail}' },
  DUCKLING_AUTH_ORIGIN_REJECTED: { status: 403, template: 'Request rejected by the origin check: {detail}' },
  DUCKLING_AUTH_SCOPE: { status: 403, template: 'Not allowed for this credential: {detail}' },
  DUCKLING_QUERY_READ_ONLY: {
    status: 403,
    template: 'Statement rejected: {reason}. Queries may only read the replica\'s tables: send one SELECT, WITH, DESCRIBE, SHOW, SUMMARIZE or EXPLAIN statement that reads no files',
  },
  DUCKLING_NOT_FOUND: { status: 404, template: 'Route {method} {url} not found' },
  DUCKLING_DATABASE_NOT_FOUND: { status: 404, template: 'Database "{db}" not found{hint}' },
  DUCKLING_KEY_NOT_FOUND: {
    status: 404,
    template: 'Database key "{keyId}" not found in database "{db}"; GET /api/databases/{db}/keys lists its keys',
  },
  DUCKLING_TABLE_NOT_FOUND: { status: 404, template: 'Table "{table}" not found in database "{db}"{hint}' },
  DUCKLING_SYNC_IN_PROGRESS: {
    status: 409,
    template: 'A sync of database "{db}" is already running (type {runType}, run {runId}); wait for it to finish or follow it at /api/sync/progress',
  },
  DUCKLING_TABLE_LOCKED: {
    status: 409,
    template: 'Table "{table}" of database "{db}" is being loaded by another run; retry when it finishes',
  },
  DUCKLING_SOURCE_CHANGED: {
    status: 409,
    template: 'The {subject} of database "{db}" reaches a different source ({detail}) than the one its replica was copied from; {remedy}',
  },
  DUCKLING_PAYLOAD_TOO_LARGE: { status: 413, template: 'Request body is larger than the limit of {limitBytes} bytes' },
  DUCKLING_SYNC_UNSAFE: { status: 422, template: 'Sync refused: {detail}' },
  DUCKLING_RATE_LIMITED: {
    status: 429,
    template: 'Rate limit exceeded in category "{category}": {limit} units per {windowSec} s at tier {tier}, and this request costs {cost}; retry in {retryAfter} s',
  },
  DUCKLING_CONCURRENCY_LIMITED: {
    status: 429,
    template: 'Too many queries in flight: {inFlight} of {concurrencyLimit} allowed at tier {tier}; wait for one to finish, then retry',
  },
  DUCKLING_INTERNAL: { status: 500, template: 'Internal error: {detail}' },
  DUCKLING_SOURCE_UNAVAILABLE: { status: 502, template: 'Source {host}:{port} is unavailable: {detail}' },
  DUCKLING_S3_FAILED: {
    status: 502,
    template: 'S3 request for database "{db}" failed: {detail}. Check the bucket, endpoint, region and credentials with POST /api/databases/{db}/s3/test',
  },
  DUCKLING_QUERY_QUEUE_FULL: {
    status: 503,
    template: 'Query queue is full ({queued} waiting, limit {limit}); retry in a second',
  },
  DUCKLING_STORE_UNAVAILABLE: { status: 503, template: 'The {store} is unavailable ({detail}); retry in a few seconds' },
  DUCKLING_NOT_READY: { status: 503, template: 'Duckling is not ready: {detail}' },
  DUCKLING_RATE_LIMIT_STORE_UNAVAILABLE: {
    status: 503,
    template: 'The rate-limit store is unavailable and RATE_LIMIT_STORE_FAILURE=closed rejects requests until it returns: {detail}',
  },
  DUCKLING_DATABASE_UNAVAILABLE: { status: 503, template: 'Replica of database "{db}" is unavailable: {detail}' },
  DUCKLING_QUERY_TIMEOUT: {
    status: 504,
    template: 'Query exceeded the timeout of {timeoutMs} ms and was interrupted; narrow the query or raise timeoutMs (at most QUERY_TIMEOUT_MS)',
  },
  // Backups and restores.
  DUCKLING_BACKUP_NOT_FOUND: { status: 404, template: 'Backup "{name}" of database "{db}" not found{hint}' },
  DUCKLING_BACKUP_IN_PROGRESS: {
    status: 409,
    template: 'A {operation} of database "{db}" is already running; retry when it finishes',
  },
  DUCKLING_BACKUP_INTEGRITY_FAILED: {
    status: 422,
    template: 'Backup "{name}" failed verification, so nothing was restored and the live replica is unchanged; POST /api/backups/verify lists each check and the server log has the details',
  },
  DUCKLING_BACKUP_OTHER_DATABASE: {
    status: 422,
    template: 'Backup "{name}" belongs to another database or source ({detail}); nothing was restored. Restore one of database "{db}", or set allowCrossDatabase to restore it anyway',
  },
  DUCKLING_BACKUP_KEY_UNKNOWN: {
    status: 422,
    template: 'Backup "{name}" is encrypted with the key of fingerprint {fingerprint}, which neither the current key nor the keyring of database "{db}" contains; add that key to restore it',
  },
  DUCKLING_BACKUP_FAILED: { status: 500, template: 'Backup of database "{db}" failed: {detail}' },
  DUCKLING_RESTORE_FAILED: { status: 500, template: 'Restore of database "{db}" failed: {detail}; the previous replica is back in place' },
  DUCKLING_DATABASE_RESTORING: {
    status: 503,
    template: 'Database "{db}" is being restored from a backup; retry in a few seconds',
  },
} as const satisfies Record<string, { status: number; template: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;
