/**
 * Every environment variable Duckling reads, in the groups of `.env.example`. One table drives
 * validation, the typed settings object and the `.env.example` check, so a variable cannot exist
 * in one place and be missing from another.
 */
export type VariableKind =
  | { type: 'string' }
  | { type: 'secret' }
  | { type: 'int'; min?: number; max?: number }
  | { type: 'number'; min?: number; max?: number }
  | { type: 'bool' }
  | { type: 'list' }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'size' }
  | { type: 'duration' };

export interface VariableSpec {
  name: string;
  group: string;
  kind: VariableKind;
  /** Default as it would be written in `.env`; empty means unset. */
  default: string;
  description: string;
  /** True for variables of features this release does not have yet: validated, but without effect. */
  planned: boolean;
}

const str = { type: 'string' } as const;
const secret = { type: 'secret' } as const;
const bool = { type: 'bool' } as const;
const list = { type: 'list' } as const;
const size = { type: 'size' } as const;
const int = (min?: number, max?: number): VariableKind => ({ type: 'int', min, max });
const num = (min?: number, max?: number): VariableKind => ({ type: 'number', min, max });
const oneOf = (...values: string[]): VariableKind => ({ type: 'enum', values });

/** Variables read by this release; every other one is validated so a typo is caught, but unused. */
const IN_EFFECT = new Set([
  'NODE_ENV', 'PORT', 'HOST', 'DATA_PATH', 'DUCKDB_PATH', 'DUCKDB_MEMORY_LIMIT', 'DUCKDB_THREADS',
  'DUCKDB_MAX_CONNECTIONS', 'DUCKDB_TEMP_DIRECTORY', 'DUCKDB_MAX_TEMP_DIRECTORY_SIZE',
  'DUCKDB_PRESERVE_INSERTION_ORDER', 'CRASH_DEBUG',
  'MYSQL_CONNECTION_STRING', 'MYSQL_MAX_CONNECTIONS', 'MYSQL_CONNECT_TIMEOUT_MS', 'MAX_RETRIES',
  'RETRY_BASE_DELAY_MS', 'RETRY_MAX_DELAY_MS', 'MYSQL_TLS_DIR',
  'FULL_SYNC_BATCH_SIZE', 'INSERT_BATCH_SIZE', 'FULL_SYNC_APPENDER_FLUSH_INTERVAL', 'FULL_SYNC_RESUME_ENABLED',
  'SYNC_TABLE_CONCURRENCY', 'EXCLUDED_TABLES', 'WATERMARK_COLUMNS', 'BATCH_SIZE', 'APPENDER_FLUSH_INTERVAL',
  'INCREMENTAL_LOOKBACK_SECONDS', 'SYNC_INTERVAL_MINUTES', 'AUTO_START_SYNC', 'ENABLE_INCREMENTAL_SYNC',
  'RECONCILE_INTERVAL_MINUTES', 'AUTO_RESTART', 'MAX_RESTART_ATTEMPTS', 'ENABLE_HEALTH_CHECKS', 'HEALTH_CHECK_INTERVAL',
  'DUCKLING_API_KEY', 'DUCKLING_API_KEY_PREVIOUS', 'DUCKLING_SECRETS_KEY', 'DUCKLING_SECRETS_KEY_PREVIOUS', 'TRUST_PROXY',
  'ADMIN_USERNAME', 'ADMIN_PASSWORD', 'SESSION_SECRET', 'JWT_SECRET', 'JWT_EXPIRES_IN', 'PUBLIC_URL', 'CORS_ORIGINS',
  'REDIS_URL', 'RATE_LIMIT_REDIS_PREFIX',
  'MAX_CONCURRENT_QUERIES', 'QUERY_TIMEOUT_MS', 'QUERY_STREAM_TIMEOUT_MS', 'QUERY_QUEUE_MAX', 'QUERY_MAX_ROWS',
  'QUERY_STREAM_MAX_ROWS',
  'RATE_LIMIT_ENABLED', 'RATE_LIMIT_MODE', 'RATE_LIMIT_READ_MAX', 'RATE_LIMIT_QUERY_MAX', 'RATE_LIMIT_WRITE_MAX',
  'RATE_LIMIT_AUTH_MAX', 'RATE_LIMIT_MONITORING_MAX', 'RATE_LIMIT_AUTH_WINDOW_MS', 'RATE_LIMIT_READ_WINDOW_MS',
  'RATE_LIMIT_QUERY_WINDOW_MS', 'RATE_LIMIT_WRITE_WINDOW_MS', 'RATE_LIMIT_MONITORING_WINDOW_MS', 'RATE_LIMIT_COST_QUERY',
  'RATE_LIMIT_COST_WRITE', 'RATE_LIMIT_COST_READ', 'RATE_LIMIT_COST_AUTH', 'RATE_LIMIT_COST_MONITORING',
  'RATE_LIMIT_JWT_MULTIPLIER', 'RATE_LIMIT_APIKEY_MULTIPLIER', 'RATE_LIMIT_QUERY_CONCURRENCY_ENABLED',
  'RATE_LIMIT_JWT_QUERY_MAX_IN_FLIGHT', 'RATE_LIMIT_APIKEY_QUERY_MAX_IN_FLIGHT', 'RATE_LIMIT_QUERY_INFLIGHT_TTL_MS',
  'RATE_LIMIT_USE_SESSION_SCOPE', 'RATE_LIMIT_INCLUDE_DB_SCOPE', 'RATE_LIMIT_CLEANUP_INTERVAL_MS', 'REDIS_URL',
  'RATE_LIMIT_REDIS_PREFIX', 'RATE_LIMIT_STORE_FAILURE', 'RATE_LIMIT_STORE_TIMEOUT_MS',
  'LOG_LEVEL', 'LOGS_DIR', 'DUCKLING_URL',
  'AUTO_BACKUP', 'BACKUP_INTERVAL_HOURS', 'BACKUP_RETENTION_DAYS', 'BACKUP_PATH',
  'ENABLE_CORS', 'SENTRY_DSN', 'SENTRY_RELEASE', 'SENTRY_TRACES_SAMPLE_RATE',
]);

function group(name: string, rows: Array<[string, VariableKind, string, string]>): VariableSpec[] {
  return rows.map(([variable, kind, defaultValue, description]) => ({
    name: variable,
    group: name,
    kind,
    default: defaultValue,
    description,
    planned: !IN_EFFECT.has(variable),
  }));
}

export const VARIABLES: readonly VariableSpec[] = [
  ...group('Core, paths and DuckDB', [
    ['NODE_ENV', oneOf('development', 'production', 'test'), 'development', 'production hides internal error text in 500 responses'],
    ['PORT', int(0, 65535), '3001', 'HTTP port'],
    ['HOST', str, '0.0.0.0', 'Bind address of the HTTP listener'],
    ['DATA_PATH', str, './data', 'Root directory of all state (replicas, registry, backups)'],
    ['DUCKDB_PATH', str, '', 'Replica file of the default database; default DATA_PATH/duckling.db, must lie directly in DATA_PATH'],
    ['DUCKDB_MEMORY_LIMIT', size, '', 'DuckDB memory for the whole process (e.g. 2GB), split evenly across replicas; default 80% of RAM'],
    ['DUCKDB_THREADS', int(0, 1024), '0', 'DuckDB threads for the whole process, split across replicas; 0 means one per CPU core'],
    ['DUCKDB_MAX_CONNECTIONS', int(1, 1000), '10', 'Reader connections per replica'],
    ['DUCKDB_TEMP_DIRECTORY', str, '', 'Spill root; default DATA_PATH/duckdb_tmp, one subdirectory per replica'],
    ['DUCKDB_MAX_TEMP_DIRECTORY_SIZE', size, '', 'DuckDB max_temp_directory_size; default is DuckDB\'s own'],
    ['DUCKDB_PRESERVE_INSERTION_ORDER', bool, 'false', 'DuckDB preserve_insertion_order'],
    ['CRASH_DEBUG', bool, 'false', 'Write a Node diagnostic report to DATA_PATH/crash-reports on fatal errors'],
  ]),
  ...group('MySQL source', [
    ['MYSQL_CONNECTION_STRING', secret, '', 'mysql://user:password@host:port/schema?options; seeds database "default" when databases.json does not exist'],
    ['MYSQL_MAX_CONNECTIONS', int(1, 100), '5', 'Source pool size per database'],
    ['MYSQL_CONNECT_TIMEOUT_MS', int(100), '10000', 'Source connect timeout in milliseconds'],
    ['MAX_RETRIES', int(0, 100), '3', 'Retries of a transient source error before a table fails'],
    ['RETRY_BASE_DELAY_MS', int(0), '1000', 'First retry delay in milliseconds, doubling each retry'],
    ['RETRY_MAX_DELAY_MS', int(0), '60000', 'Largest retry delay in milliseconds'],
    ['MYSQL_TLS_DIR', str, '', 'Directory that ssl-ca, ssl-cert and ssl-key must resolve inside; default DATA_PATH/certs'],
  ]),
  ...group('Sync and automation', [
    ['SYNC_INTERVAL_MINUTES', int(0), '15', 'Scheduled sync period in minutes; 0 disables it'],
    ['AUTO_START_SYNC', bool, 'true', 'Start the scheduler at boot'],
    ['ENABLE_INCREMENTAL_SYNC', bool, 'true', 'Scheduled runs are incremental, else full'],
    ['BATCH_SIZE', int(1), '1000', 'Rows per incremental keyset page'],
    ['FULL_SYNC_BATCH_SIZE', int(1), '50000', 'Rows per full-sync keyset page'],
    ['INSERT_BATCH_SIZE', int(1), '2000', 'Rows per statement on the insert fallback path'],
    ['APPENDER_FLUSH_INTERVAL', int(1), '5000', 'Rows between Appender flushes in incremental staging'],
    ['FULL_SYNC_APPENDER_FLUSH_INTERVAL', int(1), '100000', 'Rows between full-sync flushes; the resume cursor is saved at each'],
    ['FULL_SYNC_RESUME_ENABLED', bool, 'true', 'Resume interrupted loads of keyed tables'],
    ['SYNC_TABLE_CONCURRENCY', int(1, 64), '2', 'Tables loaded in parallel'],
    ['EXCLUDED_TABLES', list, '', 'Exact, case-sensitive table names never synced; an existing replica copy is dropped at the next full sync'],
    ['WATERMARK_COLUMNS', list, 'updated_at,modified_at,updatedAt,modifiedAt,last_update,last_updated,last_modified,lastModified', 'Update-time watermark candidates in priority order'],
    ['INCREMENTAL_LOOKBACK_SECONDS', int(0), '0', 'Re-read window behind each watermark, in seconds; set 1 or more when a watermark column has whole-second precision (see docs/replication.md)'],
    ['RECONCILE_INTERVAL_MINUTES', int(0), '0', 'Scheduled key reconciliation period in minutes, while the scheduler runs; 0 disables it. A turn that meets a running sync starts when that sync ends'],
    ['AUTO_CLEANUP', bool, 'true', 'Run the cleanup job'],
    ['CLEANUP_INTERVAL_HOURS', int(1), '24', 'Cleanup period in hours'],
    ['RETENTION_DAYS', int(1), '90', 'Age in days of sync_log rows that cleanup deletes'],
    ['AUTO_RESTART', bool, 'true', 'Recovery syncs by the health monitor when no sync succeeded for max(2 x SYNC_INTERVAL_MINUTES, 30 min)'],
    ['MAX_RESTART_ATTEMPTS', int(0), '3', 'Recovery attempts before giving up; a successful sync resets the count'],
    ['ENABLE_HEALTH_CHECKS', bool, 'true', 'Background health monitor; when false, /health checks on demand and no recovery syncs run'],
    ['HEALTH_CHECK_INTERVAL', int(1000), '60000', 'Health monitor period in milliseconds'],
  ]),
  ...group('CDC', [
    ['CDC_ENABLED', bool, 'false', 'Allow binlog change data capture'],
    ['CDC_AUTO_START', bool, 'false', 'Start CDC at boot for every database'],
    ['CDC_AUTO_RESNAPSHOT', bool, 'true', 'Resnapshot automatically when the saved binlog position is gone'],
    ['CDC_RECONNECT_ATTEMPTS', int(0), '10', 'Reconnects after a stream error'],
    ['CDC_RECONNECT_DELAY_MS', int(0), '5000', 'First reconnect delay in milliseconds, doubling'],
    ['CDC_MAX_QUEUE_SIZE', int(1), '5000', 'Rows held in memory before the binlog socket pauses'],
    ['CDC_MAX_QUEUE_BYTES', int(1), '67108864', 'Bytes of row data held in memory before the binlog socket pauses'],
    ['CDC_BATCH_MAX_ROWS', int(1), '10000', 'Changes per applied batch'],
    ['CDC_BATCH_MAX_MS', int(1), '200', 'Accumulation time per batch in milliseconds'],
    ['CDC_SERVER_ID', int(1, 4294967294), '', 'Replica server id base; default a stable hash per installation and database'],
  ]),
  ...group('Security and authentication', [
    ['DUCKLING_API_KEY', secret, '', 'Global API key (Authorization: Bearer <key>); generate with "duckling gen-key"'],
    ['DUCKLING_API_KEY_PREVIOUS', secret, '', 'Second key accepted during a rotation'],
    ['ADMIN_USERNAME', str, '', 'Admin user name'],
    ['ADMIN_PASSWORD', secret, '', 'Admin password'],
    ['SESSION_SECRET', secret, '', 'Seals session cookies; generate with "duckling gen-key"'],
    ['JWT_SECRET', secret, '', 'HS256 signing secret; default SESSION_SECRET'],
    ['JWT_EXPIRES_IN', { type: 'duration' }, '1h', 'Token and cookie lifetime (30m, 1h, 7d or seconds)'],
    ['TRUST_PROXY', str, 'false', 'Proxies allowed to set X-Forwarded-*: false, true, a hop count or a list of addresses and CIDRs'],
    ['PUBLIC_URL', list, '', 'Public origins, e.g. https://duckling.example.com'],
    ['ENABLE_CORS', bool, 'true', 'Enable the CORS layer'],
    ['CORS_ORIGINS', list, '', 'Allowed cross-origin origins; empty means same-origin only'],
    ['DUCKLING_SECRETS_KEY', secret, '', '64 hex characters sealing secrets in databases.json'],
    ['DUCKLING_SECRETS_KEY_PREVIOUS', secret, '', 'Former sealing key, still accepted for reading'],
    ['MAX_UNAUTHENTICATED_CONNECTIONS', int(1), '100', 'Unauthenticated protocol sockets and WebSocket upgrades in all'],
    ['MAX_UNAUTHENTICATED_CONNECTIONS_PER_IP', int(1), '10', 'Unauthenticated protocol sockets and WebSocket upgrades per address'],
    ['METRICS_PUBLIC', bool, 'false', 'Serve /metrics without credentials'],
  ]),
  ...group('Rate limiting', [
    ['RATE_LIMIT_ENABLED', bool, 'true', 'Master switch'],
    ['RATE_LIMIT_MODE', oneOf('enforce', 'shadow'), 'enforce', 'enforce blocks; shadow only logs and marks headers'],
    ['RATE_LIMIT_READ_MAX', int(1), '120', 'Base budget per window, category read'],
    ['RATE_LIMIT_QUERY_MAX', int(1), '80', 'Base budget per window, category query'],
    ['RATE_LIMIT_WRITE_MAX', int(1), '10', 'Base budget per window, category write'],
    ['RATE_LIMIT_AUTH_MAX', int(1), '10', 'Base budget per window, category auth'],
    ['RATE_LIMIT_MONITORING_MAX', int(1), '120', 'Base budget per window, category monitoring'],
    ['RATE_LIMIT_AUTH_WINDOW_MS', int(1000), '60000', 'Window length of category auth in milliseconds'],
    ['RATE_LIMIT_READ_WINDOW_MS', int(1000), '60000', 'Window length of category read in milliseconds'],
    ['RATE_LIMIT_QUERY_WINDOW_MS', int(1000), '60000', 'Window length of category query in milliseconds'],
    ['RATE_LIMIT_WRITE_WINDOW_MS', int(1000), '60000', 'Window length of category write in milliseconds'],
    ['RATE_LIMIT_MONITORING_WINDOW_MS', int(1000), '60000', 'Window length of category monitoring in milliseconds'],
    ['RATE_LIMIT_COST_QUERY', int(1), '1', 'Base cost of a query'],
    ['RATE_LIMIT_COST_WRITE', int(1), '3', 'Cost of a write'],
    ['RATE_LIMIT_COST_READ', int(1), '1', 'Cost of a read'],
    ['RATE_LIMIT_COST_AUTH', int(1), '1', 'Cost of an auth attempt'],
    ['RATE_LIMIT_COST_MONITORING', int(1), '1', 'Cost of a monitoring read'],
    ['RATE_LIMIT_JWT_MULTIPLIER', num(0), '2', 'Budget multiplier of the jwt tier'],
    ['RATE_LIMIT_APIKEY_MULTIPLIER', num(0), '5', 'Budget multiplier of the apiKey tier'],
    ['RATE_LIMIT_QUERY_CONCURRENCY_ENABLED', bool, 'true', 'Enforce in-flight query caps'],
    ['RATE_LIMIT_JWT_QUERY_MAX_IN_FLIGHT', int(1), '6', 'Queries in flight per key, jwt tier'],
    ['RATE_LIMIT_APIKEY_QUERY_MAX_IN_FLIGHT', int(1), '12', 'Queries in flight per key, apiKey tier'],
    ['RATE_LIMIT_QUERY_INFLIGHT_TTL_MS', int(1000), '300000', 'In-flight entries not refreshed for this long are released'],
    ['RATE_LIMIT_USE_SESSION_SCOPE', bool, 'false', 'Key by session or key id instead of client address'],
    ['RATE_LIMIT_INCLUDE_DB_SCOPE', bool, 'true', 'Add the database id to the rate-limit key'],
    ['RATE_LIMIT_CLEANUP_INTERVAL_MS', int(1000), '60000', 'Sweep period of idle memory buckets'],
    ['REDIS_URL', secret, '', 'Share limits, tickets and revocations through Redis'],
    ['RATE_LIMIT_REDIS_PREFIX', str, 'duckling:', 'Redis key prefix'],
    ['RATE_LIMIT_STORE_FAILURE', oneOf('memory', 'open', 'closed'), 'memory', 'Behaviour when Redis fails'],
    ['RATE_LIMIT_STORE_TIMEOUT_MS', int(1), '200', 'A Redis call slower than this counts as a store failure'],
  ]),
  ...group('MySQL protocol', [
    ['MYSQL_PROTOCOL_ENABLED', bool, 'true', 'Start the MySQL protocol listener'],
    ['MYSQL_PROTOCOL_HOST', str, '', 'Bind address; default HOST'],
    ['MYSQL_PROTOCOL_PORT', int(0, 65535), '3307', 'TCP port'],
    ['MYSQL_PROTOCOL_USER', str, 'duckling', 'Accepted user name'],
    ['MYSQL_PROTOCOL_PASSWORD', secret, '', 'Password; default DUCKLING_API_KEY'],
    ['MYSQL_PROTOCOL_MAX_CONNECTIONS', int(1), '50', 'Concurrent authenticated sessions'],
    ['MYSQL_PROTOCOL_DEFAULT_DB', str, 'default', 'Database of a session that names none'],
    ['MYSQL_PROTOCOL_TLS_CERT', str, '', 'PEM certificate chain path'],
    ['MYSQL_PROTOCOL_TLS_KEY', str, '', 'PEM private key path'],
    ['MYSQL_PROTOCOL_REQUIRE_TLS', bool, 'false', 'Reject logins without TLS'],
    ['MYSQL_PROTOCOL_IDLE_TIMEOUT_S', int(1), '28800', 'Default wait_timeout in seconds'],
  ]),
  ...group('Query governor', [
    ['MAX_CONCURRENT_QUERIES', int(1, 1000), '10', 'Queries executing at once, all protocols and databases'],
    ['QUERY_TIMEOUT_MS', int(0), '30000', 'Queue wait plus execution in milliseconds; the query is interrupted (504); 0 disables'],
    ['QUERY_STREAM_TIMEOUT_MS', int(0), '30000', 'An NDJSON or CSV stream whose client accepts no data for this long is ended; 0 disables'],
    ['QUERY_QUEUE_MAX', int(0), '50', 'Waiting queries before 503'],
    ['QUERY_MAX_ROWS', int(1), '100000', 'Row cap of JSON results'],
    ['QUERY_STREAM_MAX_ROWS', int(1), '10000000', 'Row cap of NDJSON and CSV results'],
  ]),
  ...group('Backups', [
    ['AUTO_BACKUP', bool, 'true', 'Scheduled local backups of every database; the first one period after start'],
    ['BACKUP_INTERVAL_HOURS', int(1), '24', 'Backup period in hours'],
    ['BACKUP_RETENTION_DAYS', int(1), '7', 'Local retention of complete backups in days; the newest complete backup is always kept'],
    ['BACKUP_PATH', str, '', 'Local backup root; default DATA_PATH/backups'],
    ['BACKUP_DRILL_INTERVAL_HOURS', int(0), '0', 'Restore drills of the newest backup; 0 disables them'],
  ]),
  ...group('Observability', [
    ['LOG_LEVEL', oneOf('fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'), 'info', 'Log level'],
    ['LOGS_DIR', str, '', 'Also write duckling.log into this directory'],
    ['SENTRY_DSN', secret, '', 'Enables Sentry'],
    ['SENTRY_RELEASE', str, '', 'Sentry release tag; default the package version'],
    ['SENTRY_TRACES_SAMPLE_RATE', num(0, 1), '0', 'Sentry tracing sample rate'],
  ]),
  ...group('CLI and client', [
    ['DUCKLING_URL', str, 'http://127.0.0.1:3001', 'Server the CLI talks to'],
  ]),
];

/** Prefixes whose unknown variables are probably typos. */
export const WATCHED_PREFIXES = ['DUCKLING_', 'RATE_LIMIT_', 'MYSQL_PROTOCOL_', 'CDC_', 'DUCKDB_'] as const;
