import { readFile } from 'node:fs/promises';
import type { Logger } from '../logging/index.js';
import { writeFileAtomic } from '../registry/index.js';

export const REVOCATION_FILE_NAME = 'revoked-tokens.json';

/**
 * Token ids (`jti`) revoked by a logout, each kept until its token would have expired anyway.
 * `isRevoked` throws `DUCKLING_STORE_UNAVAILABLE` when the list cannot be trusted (a shared store
 * out of reach for too long), so callers fail closed.
 */
export interface RevocationList {
  isRevoked(jti: string): Promise<boolean>;
  /** Idempotent: revoking a revoked id again changes nothing. */
  revoke(jti: string, expiresAtSec: number): Promise<void>;
  /** Deletes the entries whose tokens have expired; returns how many went. */
  prune(): Promise<number>;
  /** Calls `listener` for every id revoked from now on, including by other instances. */
  onRevoked(listener: (jti: string) => void): void;
  close(): Promise<void>;
}

interface RevocationFile {
  revoked: Array<{ jti: string; expiresAt: string }>;
}

/**
 * The revocation list of a single instance, kept in memory and in `DATA_PATH/revoked-tokens.json`
 * so it survives a restart. Every change rewrites the file atomically, one write at a time.
 */
export class FileRevocationList implements RevocationList {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly listeners: Array<(jti: string) => void> = [];

  private constructor(
    private readonly filePath: string,
    /** jti to expiry in Unix seconds. */
    private readonly entries: Map<string, number>,
    private readonly now: () => number,
  ) {}

  /**
   * Reads the file; a missing file is an empty list. A file that cannot be parsed stops startup,
   * since starting with an empty list would make revoked tokens valid again.
   */
  static async load(filePath: string, logger: Logger, now: () => number = Date.now): Promise<FileRevocationList> {
    let text: string | null = null;
    try {
      text = await readFile(filePath, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }

    const entries = new Map<string, number>();
    if (text !== null) {
      for (const entry of parseRevocationFile(text, filePath).revoked) entries.set(entry.jti, Date.parse(entry.expiresAt) / 1000);
    }
    const list = new FileRevocationList(filePath, entries, now);
    const pruned = list.dropExpired();
    logger.info({ file: filePath, revoked: entries.size, pruned }, 'revocation list loaded');
    return list;
  }

  async isRevoked(jti: string): Promise<boolean> {
    return this.entries.has(jti);
  }

  async revoke(jti: string, expiresAtSec: number): Promise<void> {
    if (this.entries.has(jti)) return;
    this.entries.set(jti, expiresAtSec);
    this.dropExpired();
    for (const listener of this.listeners) listener(jti);
    await this.save();
  }

  async prune(): Promise<number> {
    const pruned = this.dropExpired();
    if (pruned > 0) await this.save();
    return pruned;
  }

  onRevoked(listener: (jti: string) => void): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    await this.writes;
  }

  private dropExpired(): number {
    const nowSec = this.now() / 1000;
    let pruned = 0;
    for (const [jti, expiresAtSec] of this.entries) {
      if (expiresAtSec < nowSec) {
        this.entries.delete(jti);
        pruned++;
      }
    }
    return pruned;
  }

  /** Writes the current entries once any write in progress is done, so each write includes every earlier change. */
  private save(): Promise<void> {
    const write = this.writes.then(() => {
      const content: RevocationFile = {
        revoked: [...this.entries].map(([jti, expiresAtSec]) => ({ jti, expiresAt: new Date(expiresAtSec * 1000).toISOString() })),
      };
      return writeFileAtomic(this.filePath, `${JSON.stringify(content, null, 2)}\n`);
    });
    this.writes = write.catch(() => undefined);
    return write;
  }
}

function parseRevocationFile(text: string, filePath: string): RevocationFile {
  const fix = `fix the file, or delete it to forget every revocation (revoked tokens then work again until they expire)`;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${filePath} is not valid JSON (${(error as Error).message}); ${fix}`, { cause: error });
  }

  const revoked = (parsed as Partial<RevocationFile> | null)?.revoked;
  const valid =
    Array.isArray(revoked) &&
    revoked.every((entry) => typeof entry?.jti === 'string' && typeof entry.expiresAt === 'string' && !Number.isNaN(Date.parse(entry.expiresAt)));
  if (!valid) throw new Error(`${filePath} must contain {"revoked": [{"jti": "...", "expiresAt": "<ISO-8601>"}]}; ${fix}`);
  return parsed as RevocationFile;
}
