import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

const HEARTBEAT_INTERVAL_MS = 30_000;

/** One open Server-Sent Events response. */
export class SseStream {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private readonly closeListeners: Array<() => void> = [];

  constructor(private readonly response: ServerResponse) {
    this.heartbeat = setInterval(() => this.writeRaw(': heartbeat\n\n'), HEARTBEAT_INTERVAL_MS);
    this.heartbeat.unref();
    response.on('close', () => this.close());
  }

  /** Sends an unnamed message, or a named event when `event` is given. */
  send(data: unknown, event?: string): void {
    const prefix = event ? `event: ${event}\n` : '';
    this.writeRaw(`${prefix}data: ${JSON.stringify(data)}\n\n`);
  }

  onClose(listener: () => void): void {
    if (this.closed) listener();
    else this.closeListeners.push(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    for (const listener of this.closeListeners.splice(0)) listener();
    if (!this.response.writableEnded) this.response.end();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private writeRaw(text: string): void {
    if (!this.closed && !this.response.writableEnded) this.response.write(text);
  }
}

/**
 * Tracks open event streams so shutdown can end them: a stream never finishes on its own, and the
 * HTTP server waits for every open response before it closes.
 */
export class SseHub {
  private readonly streams = new Set<SseStream>();

  /**
   * `watchCredential` calls `end` once the request's credential expires or is revoked, and returns
   * the function that stops watching. The stream then gets `event: auth-expired` and ends.
   */
  constructor(private readonly watchCredential?: (request: FastifyRequest, end: (reason: string) => void) => () => void) {}

  /** Takes the response over from Fastify and starts an event stream on it. */
  open(request: FastifyRequest, reply: FastifyReply): SseStream {
    // Headers set by the hooks (security headers, CORS) are on the reply, which hijack bypasses.
    const hookHeaders = reply.getHeaders() as OutgoingHttpHeaders;
    reply.hijack();
    reply.raw.writeHead(200, {
      ...hookHeaders,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no',
      connection: 'keep-alive',
      'x-request-id': request.id,
    });
    const stream = new SseStream(reply.raw);
    this.streams.add(stream);
    stream.onClose(() => this.streams.delete(stream));

    const stopWatching = this.watchCredential?.(request, (reason) => {
      stream.send({ message: `${reason}; authenticate again to reopen the stream` }, 'auth-expired');
      stream.close();
    });
    if (stopWatching) stream.onClose(stopWatching);
    return stream;
  }

  closeAll(): void {
    for (const stream of [...this.streams]) stream.close();
  }

  get size(): number {
    return this.streams.size;
  }
}

/**
 * Passes on the latest value at most once per `intervalMs`: a value arriving sooner waits, and a
 * newer one replaces it, so a slow client still sees the newest state.
 */
export class LatestValueThrottle<T> {
  private lastSentAt = 0;
  private pending: { value: T } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly intervalMs: number,
    private readonly emit: (value: T) => void,
  ) {}

  push(value: T): void {
    this.pending = { value };
    if (this.timer) return;
    const waitMs = this.lastSentAt + this.intervalMs - Date.now();
    if (waitMs <= 0) this.flush();
    else this.timer = setTimeout(() => this.flush(), waitMs);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.pending = null;
  }

  private flush(): void {
    this.timer = null;
    const pending = this.pending;
    this.pending = null;
    if (!pending) return;
    this.lastSentAt = Date.now();
    this.emit(pending.value);
  }
}
