export { DucklingHttpClient, type DucklingHttpClientOptions } from './http-client.js';
export { DucklingClientError, DucklingConnectionError } from './errors.js';
export { EventStreamParser, readEventStream, type ServerSentEvent } from './sse.js';
export type * from './types.js';
export type * from './validation.js';
export type * from './backups.js';
