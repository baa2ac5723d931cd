/**
 * Lets a backup pause the writes that loads make on their own connections (staging creation,
 * Appender flushes, INSERT batches). A load wraps each such write in `run`. `pause` waits until
 * the writes in progress end, and new ones then wait until the returned `resume` is called.
 * Rows a load only buffers in memory are not writes, so loads keep reading while paused.
 */
export class LoadGate {
  private active = 0;
  private pauses = 0;
  private readonly idleWaiters: Array<() => void> = [];
  private readonly resumeWaiters: Array<() => void> = [];

  /** Runs one load write, first waiting while a pause is in force. */
  async run<T>(write: () => Promise<T>): Promise<T> {
    while (this.pauses > 0) await new Promise<void>((resolve) => this.resumeWaiters.push(resolve));
    this.active += 1;
    try {
      return await write();
    } finally {
      this.active -= 1;
      if (this.active === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /**
   * Stops new load writes and resolves once the running ones finished. Returns the function that
   * ends this pause; pauses nest, and writes continue when the last one ends.
   */
  async pause(): Promise<() => void> {
    this.pauses += 1;
    let resumed = false;
    const resume = (): void => {
      if (resumed) return;
      resumed = true;
      this.pauses -= 1;
      if (this.pauses === 0) for (const wake of this.resumeWaiters.splice(0)) wake();
    };
    while (this.active > 0) await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    return resume;
  }

  get paused(): boolean {
    return this.pauses > 0;
  }
}
