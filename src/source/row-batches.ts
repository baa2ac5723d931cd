import type { Readable } from 'node:stream';

/**
 * Reads an object-mode stream in batches: each batch contains every row buffered when the consumer
 * asks for the next one. Rows are taken with `read()`, so the stream's high-water mark still
 * pauses the producer while the consumer works. Throws the stream's error, or an error when the
 * stream closes before its end.
 */
export async function* readBatches<T>(stream: Readable): AsyncGenerator<T[]> {
  let wake: (() => void) | null = null;
  let failure: unknown = null;
  let ended = false;
  let closed = false;
  const notify = (): void => {
    const resolve = wake;
    wake = null;
    resolve?.();
  };
  const onError = (error: unknown): void => {
    failure ??= error;
    notify();
  };
  const onEnd = (): void => {
    ended = true;
    notify();
  };
  const onClose = (): void => {
    closed = true;
    notify();
  };
  stream.on('readable', notify);
  stream.on('error', onError);
  stream.on('end', onEnd);
  stream.on('close', onClose);

  try {
    for (;;) {
      const batch: T[] = [];
      let row: T | null;
      while ((row = stream.read() as T | null) !== null) batch.push(row);
      if (batch.length > 0) {
        yield batch;
        continue;
      }

      if (failure !== null) throw failure;
      if (ended) return;
      if (closed) throw new Error('the source row stream closed before its last row');
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  } finally {
    stream.off('readable', notify);
    stream.off('error', onError);
    // A destroyed query or a lost connection can still emit an error after this reader stopped.
    // The reader has already returned or thrown by then, so the late error is dropped here.
    stream.on('error', ignoreLateError);
    stream.off('end', onEnd);
    stream.off('close', onClose);
    // A consumer that stops early must not leave the producer paused forever.
    if (!ended && !stream.destroyed) stream.destroy();
  }
}

function ignoreLateError(): void {}
