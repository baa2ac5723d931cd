import { DucklingClientError, DucklingConnectionError, networkErrorCode } from './errors.js';
import { readEventStream } from './sse.js';
import type {
  AdminHealthBody,
  CheckAuthBody,
  CreatedDatabaseKeyBody,
  DatabaseKeyEntry,
  LoginResponseBody,
  MeBody,
  TicketBody,
  PublicHealthBody,
  QueryFormat,
  QueryRequestBody,
  QueryResponseBody,
  StatusBody,
  SyncEvent,
  SyncLogPage,
  SyncLogQuery,
  SyncProgress,
  SyncRunStats,
  SyncStartedBody,
  SyncStatusResponse,
  TableDetail,
  TableSchema,
  TableSyncResult,
} from './types.js';
import type { ReconcileRequest, ReconcileResponse, ValidateQuery, ValidationResponse } from './validation.js';
import type {
  BackupCreatedResponse,
  BackupListResponse,
  BackupRestoreResponse,
  BackupS3ProgressResponse,
  BackupS3Response,
  BackupVerifyRequest,
  BackupVerifyResponse,
} from './backups.js';

export interface DucklingHttpClientOptions {
  /** Server base URL, e.g. `http://127.0.0.1:3001`. */
  url: string;
  /** Global API key or database key, sent as `Authorization: Bearer <key>`; null sends no credentials. */
  apiKey?: string | null;
  /** Token of `login()`, sent as `Authorization: Bearer <token>` when no `apiKey` is given. */
  token?: string | null;
  /** Database id for database-scoped routes (`?db=`); default `default`. */
  db?: string;
  /** Time to wait for response headers in milliseconds; default 60,000. Event streams have none. */
  requestTimeoutMs?: number;
}

type QueryValue = string | number | boolean | undefined;

interface RequestOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  query?: Record<string, QueryValue>;
  body?: unknown;
  /** Adds `?db=` for database-scoped routes. */
  scoped?: boolean;
  accept?: string;
  signal?: AbortSignal;
  /** Event streams stay open for as long as the run lasts, so they get no header timeout. */
  noTimeout?: boolean;
}

/** Typed client for Duckling's HTTP API (the routes of the replication, query and status areas). */
export class DucklingHttpClient {
  readonly baseUrl: string;
  readonly db: string;
  /** The API key, database key or token sent as `Authorization: Bearer`; null for none. */
  private readonly credential: string | null;
  private readonly requestTimeoutMs: number;

  constructor(options: DucklingHttpClientOptions) {
    this.baseUrl = normalizeBaseUrl(options.url);
    this.db = options.db ?? 'default';
    this.credential = options.apiKey ?? options.token ?? null;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 60_000;
  }

  /** Returns a client for another database on the same server. */
  forDatabase(db: string): DucklingHttpClient {
    return new DucklingHttpClient({ url: this.baseUrl, apiKey: this.credential, db, requestTimeoutMs: this.requestTimeoutMs });
  }

  health(): Promise<PublicHealthBody | AdminHealthBody> {
    return this.json('/health');
  }

  status(): Promise<StatusBody> {
    return this.json('/status');
  }

  /** Logs in as the admin. Pass the returned `token` to a new client as `token` to use it. */
  login(username: string, password: string): Promise<LoginResponseBody> {
    return this.json('/api/login', { method: 'POST', body: { username, password } });
  }

  /** Revokes this client's token; it fails on every later request. */
  logout(): Promise<{ success: boolean; message: string }> {
    return this.json('/api/logout', { method: 'POST' });
  }

  checkAuth(): Promise<CheckAuthBody> {
    return this.json('/api/check-auth');
  }

  me(): Promise<MeBody> {
    return this.json('/api/me');
  }

  /** Gets a single-use, 60-second ticket for `?ticket=` on an event stream (`sse`) or WebSocket (`ws`) of this client's database. */
  createTicket(purpose: 'sse' | 'ws'): Promise<TicketBody> {
    return this.json('/api/tickets', { method: 'POST', body: { purpose, db: this.db } });
  }

  async listDatabaseKeys(databaseId: string = this.db): Promise<DatabaseKeyEntry[]> {
    const body = await this.json<{ keys: DatabaseKeyEntry[] }>(`/api/databases/${encodeURIComponent(databaseId)}/keys`);
    return body.keys;
  }

  /** Creates a key for one database; the response is the only place the key is ever shown. */
  createDatabaseKey(databaseId: string, input: { name: string; expiresAt?: string }): Promise<CreatedDatabaseKeyBody> {
    return this.json(`/api/databases/${encodeURIComponent(databaseId)}/keys`, { method: 'POST', body: input });
  }

  deleteDatabaseKey(databaseId: string, keyId: string): Promise<{ success: boolean }> {
    return this.json(`/api/databases/${encodeURIComponent(databaseId)}/keys/${encodeURIComponent(keyId)}`, { method: 'DELETE' });
  }

  /** Runs one statement and returns the JSON result. */
  query(request: QueryRequestBody): Promise<QueryResponseBody> {
    return this.json('/api/query', { method: 'POST', scoped: true, body: { ...request, format: 'json' } });
  }

  /**
   * Runs one statement in a streamed format and returns the response, whose body is the CSV or
   * NDJSON text exactly as the server sent it. Read or cancel the body.
   */
  queryRaw(request: QueryRequestBody, format: QueryFormat, signal?: AbortSignal): Promise<Response> {
    return this.request('/api/query', {
      method: 'POST',
      scoped: true,
      body: { ...request, format },
      accept: ACCEPT_BY_FORMAT[format],
      signal,
    });
  }

  tables(): Promise<string[]> {
    return this.json('/api/tables', { scoped: true });
  }

  tableDetails(): Promise<TableDetail[]> {
    return this.json('/api/tables', { scoped: true, query: { details: true } });
  }

  tableCounts(): Promise<Record<string, number>> {
    return this.json('/api/tables/counts/all', { scoped: true });
  }

  tableSchema(table: string): Promise<TableSchema> {
    return this.json(`/api/tables/${encodeURIComponent(table)}/schema`, { scoped: true });
  }

  /** Rows ordered by the table's key; `limit` is 1–10,000 (server default 100). */
  tableData(table: string, page: { limit?: number; offset?: number } = {}): Promise<Array<Record<string, unknown>>> {
    return this.json(`/api/tables/${encodeURIComponent(table)}/data`, { scoped: true, query: page });
  }

  async tableCount(table: string): Promise<number> {
    const body = await this.json<{ count: number }>(`/api/tables/${encodeURIComponent(table)}/count`, { scoped: true });
    return body.count;
  }

  /** Starts a full run in the background and returns its id (the server responds 202). */
  syncFull(options: { async: true; allowMassDrop?: boolean }): Promise<SyncStartedBody>;
  /** Runs a full sync and waits for its stats. */
  syncFull(options?: { async?: false; allowMassDrop?: boolean }): Promise<SyncRunStats>;
  syncFull(options: { async?: boolean; allowMassDrop?: boolean } = {}): Promise<SyncStartedBody | SyncRunStats> {
    return this.json('/api/sync/full', {
      method: 'POST',
      scoped: true,
      query: { async: options.async ?? false, allowMassDrop: options.allowMassDrop },
      noTimeout: !options.async,
    });
  }

  /** Starts an incremental run in the background and returns its id (the server responds 202). */
  syncIncremental(options: { async: true; allowMassDrop?: boolean }): Promise<SyncStartedBody>;
  /** Runs an incremental sync and waits for its stats. */
  syncIncremental(options?: { async?: false; allowMassDrop?: boolean }): Promise<SyncRunStats>;
  syncIncremental(options: { async?: boolean; allowMassDrop?: boolean } = {}): Promise<SyncStartedBody | SyncRunStats> {
    return this.json('/api/sync/incremental', {
      method: 'POST',
      scoped: true,
      query: { async: options.async ?? false, allowMassDrop: options.allowMassDrop },
      noTimeout: !options.async,
    });
  }

  /**
   * Syncs one table and waits for its result. `auto` and `incremental` merge the changed rows
   * when the table has a stored watermark, else load it fully; `full` always loads it fully.
   */
  syncTable(table: string, mode: 'auto' | 'full' | 'incremental' = 'auto'): Promise<TableSyncResult> {
    return this.json(`/api/sync/table/${encodeURIComponent(table)}`, {
      method: 'POST',
      scoped: true,
      query: { mode },
      noTimeout: true,
    });
  }

  syncStatus(): Promise<SyncStatusResponse> {
    return this.json('/api/sync/status', { scoped: true });
  }

  syncProgress(): Promise<SyncProgress> {
    return this.json('/api/sync/progress', { scoped: true });
  }

  syncLogs(filter: SyncLogQuery = {}): Promise<SyncLogPage> {
    return this.json('/api/sync-logs', { scoped: true, query: { ...filter } });
  }

  /** Compares the replica with its source; checksum mode reads both sides in full, so it has no timeout. */
  syncValidate(query: ValidateQuery = {}): Promise<ValidationResponse> {
    return this.json('/api/sync/validate', { scoped: true, query: { ...query }, noTimeout: true });
  }

  /** Runs a reconciliation and waits for its per-table counts; it reads both sides in full, so it has no timeout. */
  syncReconcile(request: ReconcileRequest = {}): Promise<ReconcileResponse> {
    return this.json('/api/sync/reconcile', { method: 'POST', scoped: true, body: { ...request }, noTimeout: true });
  }

  /** Takes a local backup of the database now; copying a large replica can take minutes, so it has no timeout. */
  backupCreate(): Promise<BackupCreatedResponse> {
    return this.json('/api/backups', { method: 'POST', scoped: true, noTimeout: true });
  }

  /** Uploads a fresh consistent image of the database to its S3 bucket; a large replica takes minutes, so it has no timeout. */
  backupS3(): Promise<BackupS3Response> {
    return this.json('/api/backups/s3', { method: 'POST', scoped: true, noTimeout: true });
  }

  /** Returns the running S3 upload or download of the database, for progress bars. */
  backupS3Progress(): Promise<BackupS3ProgressResponse> {
    return this.json('/api/backups/s3/progress', { scoped: true });
  }

  /** Lists the local and S3 backups of the database, newest first. */
  backupList(): Promise<BackupListResponse> {
    return this.json('/api/backups', { scoped: true });
  }

  /** Runs every verification stage on a backup without restoring it; reads the whole backup, so it has no timeout. */
  backupVerify(request: BackupVerifyRequest): Promise<BackupVerifyResponse> {
    return this.json('/api/backups/verify', { method: 'POST', scoped: true, body: { ...request }, noTimeout: true });
  }

  /** Restores a local backup by name (`from: 'local'`) or an S3 backup by key (`from: 's3'`). */
  backupRestore(request: { from: 'local'; name: string; allowCrossDatabase?: boolean } | { from: 's3'; key: string; allowCrossDatabase?: boolean }): Promise<BackupRestoreResponse> {
    const { from, ...body } = request;
    const route = from === 'local' ? '/api/backups/restore' : '/api/backups/s3/restore';
    return this.json(route, { method: 'POST', scoped: true, body, noTimeout: true });
  }

  /**
   * Follows `/api/sync/events`, calling `onMessage` per event with its JSON data parsed. Resolves
   * when the server ends the stream or `signal` aborts.
   */
  async followSyncEvents(onMessage: (message: SyncEvent) => void, signal?: AbortSignal): Promise<void> {
    const response = await this.request('/api/sync/events', {
      scoped: true,
      accept: 'text/event-stream',
      signal,
      noTimeout: true,
    });
    if (!response.body) return;

    await readEventStream(
      response.body,
      (event) => {
        onMessage({ event: event.event, data: parseEventData(event.data) });
      },
      signal,
    );
  }

  private async json<T>(path: string, options: RequestOptions = {}): Promise<T> {
    const response = await this.request(path, { ...options, accept: 'application/json' });
    const text = await response.text();
    if (text === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new DucklingClientError(response.status, 'DUCKLING_CLIENT_BAD_RESPONSE', `${path} returned a body that is not JSON: ${text.slice(0, 200)}`);
    }
  }

  /** Sends a request and returns the response once its status is 2xx; throws the server's error otherwise. */
  private async request(path: string, options: RequestOptions): Promise<Response> {
    const url = this.buildUrl(path, options);
    const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
    if (this.credential) headers.authorization = `Bearer ${this.credential}`;
    if (options.body !== undefined) headers['content-type'] = 'application/json';

    const timeout = new AbortController();
    const timer = options.noTimeout ? null : setTimeout(() => timeout.abort(), this.requestTimeoutMs);
    const signals = [timeout.signal, ...(options.signal ? [options.signal] : [])];

    let response: Response;
    try {
      response = await fetch(url, {
        method: options.method ?? 'GET',
        headers,
        body: options.body === undefined ? undefined : JSON.stringify(options.body),
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      if (options.signal?.aborted) throw error;
      const code = timeout.signal.aborted ? 'TIMEOUT' : networkErrorCode(error);
      throw new DucklingConnectionError(this.baseUrl, code, { cause: error });
    } finally {
      if (timer) clearTimeout(timer);
    }

    if (!response.ok) throw await toClientError(response, path);
    return response;
  }

  private buildUrl(path: string, options: RequestOptions): string {
    const url = new URL(path, `${this.baseUrl}/`);
    if (options.scoped) url.searchParams.set('db', this.db);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    return url.toString();
  }
}

const ACCEPT_BY_FORMAT: Record<QueryFormat, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv',
};

function normalizeBaseUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TypeError(`Invalid server URL ${JSON.stringify(url)}: expected an absolute http:// or https:// URL such as http://127.0.0.1:3001`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new TypeError(`Invalid server URL ${JSON.stringify(url)}: only http:// and https:// are supported`);
  }
  if (parsed.username || parsed.password) {
    throw new TypeError('Invalid server URL: credentials in the URL are not accepted; pass the API key in a file or DUCKLING_API_KEY');
  }
  return parsed.toString().replace(/\/+$/, '');
}

function parseEventData(data: string): unknown {
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Turns a non-2xx response into a `DucklingClientError`, using the server's error body when it has one. */
async function toClientError(response: Response, path: string): Promise<DucklingClientError> {
  const text = await response.text().catch(() => '');
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === 'object') body = parsed as Record<string, unknown>;
  } catch {
    // The body is not JSON when a proxy or another program on the port responded, so its text goes into the message below.
  }

  const code = typeof body.code === 'string' ? body.code : `HTTP_${response.status}`;
  const message =
    typeof body.message === 'string'
      ? body.message
      : `${path} answered ${response.status} ${response.statusText}${text ? `: ${text.slice(0, 200)}` : ''}`;
  const requestId = typeof body.requestId === 'string' ? body.requestId : response.headers.get('x-request-id');
  return new DucklingClientError(response.status, code, message, { requestId, body });
}
