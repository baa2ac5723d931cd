export { QueryService, type QueryStream, type QueryStreamSummary, type QueryServiceOptions } from './query-service.js';
export { QueryGovernor, type GovernorStats, type ActiveQuery, type QuerySlot, type SlotRequest, type QueryPriority } from './governor.js';
export { TableService, assertTableName, MAX_PAGE_LIMIT, type ReadContext, type TableDetail, type TableSchema, type TableSchemaColumn } from './table-service.js';
export { buildJsonBody, rowsAsObjects, ndjsonLines, csvLines, type JsonQueryBody, type RowFormat } from './formats.js';
export { prepareReadOnlyStatement, statementTypeName } from './statement-check.js';
export type { EncodedValue, QueryParams, QueryRequest, QueryResult, ResultColumn } from './types.js';
