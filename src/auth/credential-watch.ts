import type { Principal } from './principal.js';

/** setTimeout fires at once for delays above this (about 24.8 days), so longer waits are re-armed. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Watcher {
  principal: Principal;
  end(reason: string): void;
  timer: NodeJS.Timeout | null;
}

/**
 * Ends long-lived connections (event streams, later sockets) whose credential stops being valid:
 * the token or cookie expires or is revoked, or the database key expires or is deleted. Global API
 * keys cannot change while the process runs, so their connections are never ended here.
 */
export class CredentialWatch {
  private readonly watchers = new Set<Watcher>();

  constructor(private readonly now: () => number = Date.now) {}

  /** Calls `end` once, with a reason, when the principal's credential ends; returns the function that stops watching. */
  watch(principal: Principal, end: (reason: string) => void): () => void {
    const watcher: Watcher = { principal, end, timer: null };
    this.watchers.add(watcher);
    const expiresAt = principal.kind === 'admin' || principal.kind === 'databaseKey' ? principal.expiresAt : null;
    if (expiresAt) this.armExpiry(watcher, expiresAt.getTime());
    return () => this.stop(watcher);
  }

  /** Ends the connections of a token id revoked by a logout, here or on another instance. */
  revoked(jti: string): void {
    this.endWhere((principal) => principal.kind === 'admin' && principal.jti === jti, 'the session was ended by a logout');
  }

  /** Ends the connections of a deleted database key. */
  keyDeleted(databaseId: string, keyId: string): void {
    this.endWhere(
      (principal) => principal.kind === 'databaseKey' && principal.databaseId === databaseId && principal.keyId === keyId,
      'the database key was deleted',
    );
  }

  get size(): number {
    return this.watchers.size;
  }

  private armExpiry(watcher: Watcher, expiresAtMs: number): void {
    const delayMs = expiresAtMs - this.now();
    if (delayMs <= 0) {
      this.finish(watcher, 'the credential expired');
      return;
    }
    watcher.timer = setTimeout(() => this.armExpiry(watcher, expiresAtMs), Math.min(delayMs, MAX_TIMER_MS));
    watcher.timer.unref();
  }

  private endWhere(matches: (principal: Principal) => boolean, reason: string): void {
    for (const watcher of [...this.watchers]) if (matches(watcher.principal)) this.finish(watcher, reason);
  }

  private finish(watcher: Watcher, reason: string): void {
    if (!this.watchers.has(watcher)) return;
    this.stop(watcher);
    watcher.end(reason);
  }

  private stop(watcher: Watcher): void {
    if (watcher.timer) clearTimeout(watcher.timer);
    this.watchers.delete(watcher);
  }
}
