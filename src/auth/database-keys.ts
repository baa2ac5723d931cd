import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { DucklingError } from '../errors/index.js';
import type { Logger } from '../logging/index.js';
import { keyFingerprint } from './api-key.js';
import type { Principal } from './principal.js';

const SECRET_BYTES = 32;
/** 32 bytes in unpadded base64url. */
const SECRET_LENGTH = 43;
/** Characters of the secret part kept in the stored prefix, so a key can be found without its digest. */
const PREFIX_SECRET_CHARS = 8;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const DATABASE_ID_PATTERN = /^[a-z0-9_]{1,64}$/;
/** `lastUsedAt` is written to the registry at most this often per key. */
const LAST_USED_WRITE_INTERVAL_MS = 60_000;

/**
 * One database key as stored in the database's `apiKeys`. The key itself is never stored, only its
 * SHA-256 and the two verifiers that the MySQL protocol listener checks passwords against. These
 * are SHA1(SHA1(key)) for mysql_native_password and SHA256(SHA256(key)) for caching_sha2_password,
 * all in hex.
 */
export interface DatabaseKeyRecord {
  keyId: string;
  name: string;
  /** `dk_<database id>_` and the first characters of the secret; shown in lists to tell keys apart. */
  prefix: string;
  sha256: string;
  nativeVerifier: string;
  sha2Verifier: string;
  createdAt: string;
  /** ISO-8601, or null for a key that never expires. */
  expiresAt: string | null;
  lastUsedAt: string | null;
}

/** A key as `GET /api/databases/:id/keys` lists it. */
export type DatabaseKeyView = Pick<DatabaseKeyRecord, 'keyId' | 'name' | 'prefix' | 'createdAt' | 'expiresAt' | 'lastUsedAt'>;

/** Store of the key records, which are the `apiKeys` of each database record. */
export interface DatabaseKeyRecords {
  /** The keys of a database; null when the database does not exist. */
  keysOf(databaseId: string): readonly DatabaseKeyRecord[] | null;
  /** Replaces a database's keys with `change` applied to the current ones, and persists them. */
  updateKeys(databaseId: string, change: (keys: readonly DatabaseKeyRecord[]) => DatabaseKeyRecord[]): Promise<void>;
}

export type DatabaseKeyCheck =
  | { ok: true; principal: Extract<Principal, { kind: 'databaseKey' }> }
  | { ok: false; failure: 'key_invalid' | 'key_expired'; detail: string };

/** Splits `dk_<id>_<43 base64url chars>`; the id may itself contain `_`, so the secret is taken from the end. */
export function parseDatabaseKey(text: string): { databaseId: string; prefix: string } | null {
  if (!text.startsWith('dk_') || text.length < 3 + 1 + 1 + SECRET_LENGTH) return null;
  const secret = text.slice(-SECRET_LENGTH);
  const separator = text.at(-SECRET_LENGTH - 1);
  const databaseId = text.slice(3, -SECRET_LENGTH - 1);
  if (separator !== '_' || !SECRET_PATTERN.test(secret) || !DATABASE_ID_PATTERN.test(databaseId)) return null;
  return { databaseId, prefix: `dk_${databaseId}_${secret.slice(0, PREFIX_SECRET_CHARS)}` };
}

/**
 * Creates, lists, deletes and verifies database keys. A key is looked up by its prefix and then
 * compared by SHA-256 digest in constant time. Deletion and expiry take effect on the next request;
 * `onDeleted` listeners end the streams that a deleted key opened.
 */
export class DatabaseKeys {
  private readonly deletedListeners: Array<(databaseId: string, keyId: string) => void> = [];
  /** When `lastUsedAt` was last written per key id. */
  private readonly lastUseWrittenMs = new Map<string, number>();

  constructor(
    private readonly records: DatabaseKeyRecords,
    private readonly logger: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  verify(presented: string): DatabaseKeyCheck {
    const parsed = parseDatabaseKey(presented);
    const invalid: DatabaseKeyCheck = {
      ok: false,
      failure: 'key_invalid',
      detail: 'the database key is unknown or was deleted; ask an admin for a new key (POST /api/databases/:id/keys)',
    };
    if (!parsed) return invalid;

    const digest = createHash('sha256').update(presented).digest();
    const candidates = (this.records.keysOf(parsed.databaseId) ?? []).filter((record) => record.prefix === parsed.prefix);
    const match = candidates.find((record) => {
      const stored = Buffer.from(record.sha256, 'hex');
      return stored.length === digest.length && timingSafeEqual(stored, digest);
    });
    if (!match) return invalid;

    const expiresAt = match.expiresAt === null ? null : new Date(match.expiresAt);
    if (expiresAt !== null && expiresAt.getTime() <= this.now()) {
      return { ok: false, failure: 'key_expired', detail: `the database key ${match.keyId} expired at ${match.expiresAt}; ask an admin for a new key` };
    }

    this.noteUse(parsed.databaseId, match);
    return {
      ok: true,
      principal: {
        kind: 'databaseKey',
        tier: 'apiKey',
        databaseId: parsed.databaseId,
        keyId: match.keyId,
        keyFingerprint: keyFingerprint(presented),
        expiresAt,
      },
    };
  }

  /** True while the key exists and has not expired; for credentials checked again after they were presented. */
  isActive(databaseId: string, keyId: string): boolean {
    const record = this.records.keysOf(databaseId)?.find((key) => key.keyId === keyId);
    return record !== undefined && (record.expiresAt === null || Date.parse(record.expiresAt) > this.now());
  }

  list(databaseId: string): DatabaseKeyView[] {
    return this.requireKeys(databaseId).map(toView);
  }

  /** Creates a key; the returned `key` is the only copy there will ever be. */
  async create(databaseId: string, input: { name: string; expiresAt: Date | null }): Promise<DatabaseKeyView & { key: string }> {
    this.requireKeys(databaseId);
    const key = `dk_${databaseId}_${randomBytes(SECRET_BYTES).toString('base64url')}`;
    const record: DatabaseKeyRecord = {
      keyId: randomBytes(8).toString('hex'),
      name: input.name,
      prefix: parseDatabaseKey(key)!.prefix,
      sha256: createHash('sha256').update(key).digest('hex'),
      nativeVerifier: doubleHash('sha1', key),
      sha2Verifier: doubleHash('sha256', key),
      createdAt: new Date(this.now()).toISOString(),
      expiresAt: input.expiresAt?.toISOString() ?? null,
      lastUsedAt: null,
    };
    await this.records.updateKeys(databaseId, (keys) => [...keys, record]);
    return { ...toView(record), key };
  }

  async delete(databaseId: string, keyId: string): Promise<void> {
    const keys = this.requireKeys(databaseId);
    if (!keys.some((key) => key.keyId === keyId)) throw new DucklingError('DUCKLING_KEY_NOT_FOUND', { db: databaseId, keyId });
    await this.records.updateKeys(databaseId, (current) => current.filter((key) => key.keyId !== keyId));
    this.lastUseWrittenMs.delete(keyId);
    for (const listener of this.deletedListeners) listener(databaseId, keyId);
  }

  onDeleted(listener: (databaseId: string, keyId: string) => void): void {
    this.deletedListeners.push(listener);
  }

  private requireKeys(databaseId: string): readonly DatabaseKeyRecord[] {
    const keys = this.records.keysOf(databaseId);
    if (keys === null) throw new DucklingError('DUCKLING_DATABASE_NOT_FOUND', { db: databaseId, hint: '; GET /api/databases lists the ids' });
    return keys;
  }

  /** Records `lastUsedAt`; the registry is rewritten at most once a minute per key and process, not on every request. */
  private noteUse(databaseId: string, record: DatabaseKeyRecord): void {
    const nowMs = this.now();
    const lastWrittenMs = this.lastUseWrittenMs.get(record.keyId) ?? (record.lastUsedAt === null ? null : Date.parse(record.lastUsedAt));
    if (lastWrittenMs !== null && nowMs - lastWrittenMs < LAST_USED_WRITE_INTERVAL_MS) return;

    const lastUsedAt = new Date(nowMs).toISOString();
    this.lastUseWrittenMs.set(record.keyId, nowMs);
    this.records
      .updateKeys(databaseId, (keys) => keys.map((key) => (key.keyId === record.keyId ? { ...key, lastUsedAt } : key)))
      .catch((error: unknown) => this.logger.warn({ err: error, databaseId, keyId: record.keyId }, 'saving lastUsedAt of a database key failed'));
  }
}

function toView(record: DatabaseKeyRecord): DatabaseKeyView {
  const { keyId, name, prefix, createdAt, expiresAt, lastUsedAt } = record;
  return { keyId, name, prefix, createdAt, expiresAt, lastUsedAt };
}

/** HASH(HASH(key)) in hex, the form MySQL stores passwords in for its native and SHA-2 plugins. */
function doubleHash(algorithm: 'sha1' | 'sha256', key: string): string {
  const inner = createHash(algorithm).update(key).digest();
  return createHash(algorithm).update(inner).digest('hex');
}
