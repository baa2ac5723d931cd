// Additions to the agreed interface: SourceTable extends the catalog's TableDefinition.
// isTransientSourceError, withRetry and toSourceError are exported for callers that retry on
// their own. readPage continues in a new snapshot after a lost connection, and the snapshot
// keeps its first position.
export { parseConnectionString, type ParsedConnection, type SourceEndpoint, type SslMode } from './connection-string.js';
export { SourceDatabase, type SourceDatabaseOptions, type PingResult } from './source-database.js';
export { type SourceIdentity } from './identity.js';
export { normaliseDefault, type Flavour, type SourceTable } from './discovery.js';
export { readBinlogPosition, type SourcePosition, type SourceSnapshot } from './snapshot.js';
export { isTransientSourceError, isUnavailableError, toSourceError, withRetry, type RetryPolicy } from './source-errors.js';
export { quoteMysqlIdentifier, pageQuery, selectList, hasRawByteColumns, type PageQuery } from './select-sql.js';
export { watermarkPageQuery, type WatermarkBound } from './select-sql.js';
