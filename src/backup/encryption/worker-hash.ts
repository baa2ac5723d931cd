import { Worker } from 'node:worker_threads';

/** Source of the hashing worker, evaluated as CommonJS so that it needs no file of its own in src/ or dist/. */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const hash = createHash('sha256');
parentPort.on('message', (message) => {
  if (message === null) {
    parentPort.postMessage(hash.digest('hex'));
    return;
  }
  hash.update(new Uint8Array(message.memory, 0, message.length));
  parentPort.postMessage(message.slot);
});
`;

/** Slots of shared memory: one being hashed, one being filled, one spare. */
const SLOT_COUNT = 3;

/**
 * Computes SHA-256 on a worker thread, so that hashing the plaintext runs on another core while
 * the calling thread decrypts the next chunk. Data is copied into shared memory slots of
 * `maxUpdateBytes` and hashed in the order of `update` calls. Call `close` in every outcome.
 */
export class WorkerSha256 {
  private readonly worker = new Worker(WORKER_SOURCE, { eval: true });
  private readonly slots: SharedArrayBuffer[];
  private readonly freeSlots: number[] = [];
  private readonly slotWaiters: Array<{ resolve: (slot: number) => void; reject: (error: Error) => void }> = [];
  private digestWaiter: { resolve: (hex: string) => void; reject: (error: Error) => void } | null = null;
  private failure: Error | null = null;
  private closed = false;

  constructor(private readonly maxUpdateBytes: number) {
    this.slots = Array.from({ length: SLOT_COUNT }, () => new SharedArrayBuffer(maxUpdateBytes));
    for (let slot = 0; slot < SLOT_COUNT; slot += 1) this.freeSlots.push(slot);

    this.worker.on('message', (message: number | string) => {
      if (typeof message === 'string') {
        this.digestWaiter?.resolve(message);
        return;
      }
      const waiter = this.slotWaiters.shift();
      if (waiter) waiter.resolve(message);
      else this.freeSlots.push(message);
    });
    this.worker.on('error', (error) => this.fail(error));
    this.worker.on('exit', (code) => this.fail(new Error(`SHA-256 worker thread exited with code ${code} before the digest was read`)));
  }

  /** Queues `data` (at most `maxUpdateBytes`) for hashing. Resolves once it is copied, so `data` may then be reused. */
  async update(data: Buffer): Promise<void> {
    if (data.length > this.maxUpdateBytes) throw new RangeError(`update of ${data.length} bytes exceeds the ${this.maxUpdateBytes}-byte slot`);
    this.throwIfUnusable();

    const slot = this.freeSlots.shift() ?? (await new Promise<number>((resolve, reject) => this.slotWaiters.push({ resolve, reject })));
    data.copy(Buffer.from(this.slots[slot]!), 0);
    this.worker.postMessage({ memory: this.slots[slot], slot, length: data.length });
  }

  /** Returns the hex digest of every byte queued. */
  async digestHex(): Promise<string> {
    this.throwIfUnusable();
    const digest = new Promise<string>((resolve, reject) => (this.digestWaiter = { resolve, reject }));
    this.worker.postMessage(null);
    return digest;
  }

  /** Stops the worker thread; later calls of `update` and `digestHex` throw. */
  async close(): Promise<void> {
    this.closed = true;
    await this.worker.terminate();
  }

  private throwIfUnusable(): void {
    if (this.closed) throw new Error('the SHA-256 worker thread is closed; create a new WorkerSha256');
    if (this.failure) throw this.failure;
  }

  /** Records the first failure of the worker thread and rejects every caller waiting on it. */
  private fail(error: Error): void {
    if (this.closed || this.failure) return;
    this.failure = error;
    for (const waiter of this.slotWaiters.splice(0)) waiter.reject(error);
    this.digestWaiter?.reject(error);
  }
}
