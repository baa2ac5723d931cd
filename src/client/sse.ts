/**
 * A reader for `text/event-stream` bodies, following the parsing rules of the WHATWG HTML standard,
 * section "Server-sent events". Lines end in CRLF, LF or CR, and `data` lines join with LF. A blank
 * line dispatches the event, and an event without data is dropped. Lines starting with `:` are
 * comments, such as the server's heartbeats.
 */

export interface ServerSentEvent {
  /** Event name; `message` when the event named none. */
  event: string;
  data: string;
  id: string | null;
}

/** Incremental parser: feed it decoded text in any chunking and it calls `onEvent` per complete event. */
export class EventStreamParser {
  private buffer = '';
  private dataLines: string[] = [];
  private eventName = '';
  private lastEventId: string | null = null;
  /** A chunk ended in CR, so an LF at the start of the next chunk belongs to the same line end. */
  private skipLeadingLineFeed = false;

  constructor(private readonly onEvent: (event: ServerSentEvent) => void) {}

  push(text: string): void {
    let chunk = text;
    if (this.skipLeadingLineFeed && chunk.startsWith('\n')) chunk = chunk.slice(1);
    this.skipLeadingLineFeed = false;
    this.buffer += chunk;

    let start = 0;
    for (let index = 0; index < this.buffer.length; index += 1) {
      const char = this.buffer[index];
      if (char !== '\n' && char !== '\r') continue;

      this.processLine(this.buffer.slice(start, index));
      if (char === '\r') {
        if (index + 1 === this.buffer.length) this.skipLeadingLineFeed = true;
        else if (this.buffer[index + 1] === '\n') index += 1;
      }
      start = index + 1;
    }
    this.buffer = this.buffer.slice(start);
  }

  private processLine(line: string): void {
    if (line === '') {
      this.dispatch();
      return;
    }
    if (line.startsWith(':')) return;

    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);

    switch (field) {
      case 'data':
        this.dataLines.push(value);
        break;
      case 'event':
        this.eventName = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.lastEventId = value;
        break;
      default:
        // `retry` and unknown fields do not matter to a client that never reconnects on its own.
        break;
    }
  }

  private dispatch(): void {
    const name = this.eventName || 'message';
    const dataLines = this.dataLines;
    this.eventName = '';
    this.dataLines = [];
    if (dataLines.length === 0) return;
    this.onEvent({ event: name, data: dataLines.join('\n'), id: this.lastEventId });
  }
}

/**
 * Reads an event-stream body to its end, calling `onEvent` for each event. Resolves when the server
 * closes the stream or `signal` aborts; rejects on a read error.
 */
export async function readEventStream(
  body: ReadableStream<Uint8Array>,
  onEvent: (event: ServerSentEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const parser = new EventStreamParser(onEvent);
  const decoder = new TextDecoder();
  const reader = body.getReader();
  const cancel = () => {
    reader.cancel().catch(() => undefined);
  };
  signal?.addEventListener('abort', cancel, { once: true });

  try {
    for (;;) {
      if (signal?.aborted) return;
      const { value, done } = await reader.read();
      if (done) break;
      parser.push(decoder.decode(value, { stream: true }));
    }
    parser.push(decoder.decode());
  } catch (error) {
    if (signal?.aborted) return;
    throw error;
  } finally {
    signal?.removeEventListener('abort', cancel);
    reader.releaseLock();
  }
}
