import { test } from 'node:test';
import assert from 'node:assert/strict';
import { EventStreamParser, readEventStream, type ServerSentEvent } from '../../src/client/index.js';

function parseChunks(chunks: string[]): ServerSentEvent[] {
  const events: ServerSentEvent[] = [];
  const parser = new EventStreamParser((event) => events.push(event));
  for (const chunk of chunks) parser.push(chunk);
  return events;
}

test('parser reads unnamed and named events', () => {
  const events = parseChunks(['data: {"a":1}\n\nevent: cdc\ndata: {"state":"running"}\n\n']);
  assert.deepEqual(events, [
    { event: 'message', data: '{"a":1}', id: null },
    { event: 'cdc', data: '{"state":"running"}', id: null },
  ]);
});

test('parser joins data lines', () => {
  const events = parseChunks(['data: first\ndata:second\ndata\n\n']);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.data, 'first\nsecond\n');
});

test('parser skips comments and empty events', () => {
  const events = parseChunks([': heartbeat\n\n', 'event: lonely\n\n', 'data: x\n\n']);
  assert.deepEqual(events.map((event) => event.data), ['x']);
  assert.equal(events[0]!.event, 'message', 'event name reset after dispatch');
});

test('parser handles any chunking', () => {
  const text = 'event: cdc\r\ndata: {"lag":1}\r\n\r\ndata: two\r\rdata: three\n\n';
  const whole = parseChunks([text]);
  assert.deepEqual(whole.map((event) => event.data), ['{"lag":1}', 'two', 'three']);
  for (let size = 1; size <= 5; size += 1) {
    const chunks: string[] = [];
    for (let index = 0; index < text.length; index += size) chunks.push(text.slice(index, index + size));
    assert.deepEqual(parseChunks(chunks), whole, `chunks of ${size}`);
  }
});

test('parser keeps the last event id', () => {
  const events = parseChunks(['id: 7\ndata: a\n\ndata: b\n\n']);
  assert.deepEqual(events.map((event) => event.id), ['7', '7']);
});

test('readEventStream decodes split UTF-8', async () => {
  const bytes = new TextEncoder().encode('data: caf\u00e9 \u{1F986}\n\n');
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      for (const byte of bytes) controller.enqueue(Uint8Array.of(byte));
      controller.close();
    },
  });
  const events: ServerSentEvent[] = [];
  await readEventStream(body, (event) => events.push(event));
  assert.deepEqual(events.map((event) => event.data), ['caf\u00e9 \u{1F986}']);
});

test('readEventStream stops on abort', async () => {
  const controller = new AbortController();
  const body = new ReadableStream<Uint8Array>({
    start(stream) {
      stream.enqueue(new TextEncoder().encode('data: one\n\n'));
    },
  });
  const events: ServerSentEvent[] = [];
  await readEventStream(body, (event) => {
    events.push(event);
    controller.abort();
  }, controller.signal);
  assert.equal(events.length, 1);
});
