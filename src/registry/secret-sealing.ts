import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Config } from '../config/index.js';

/** Prefix of a value sealed at rest; the rest is base64 of nonce (12) ‖ ciphertext ‖ GCM tag (16). */
export const SEALED_PREFIX = 'enc:v1:';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_PATTERN = /^[0-9a-fA-F]{64}$/;

/** Id of the startup finding raised when a sealed value cannot be opened. */
export const SECRETS_UNREADABLE = 'secrets_unreadable';

/** A sealing key setting is not 64 hex characters. */
export class SecretsKeyInvalidError extends Error {
  constructor(variable: string) {
    super(`${variable} is invalid: give 64 hexadecimal characters (32 bytes), for example from "duckling gen-key"`);
    this.name = 'SecretsKeyInvalidError';
  }
}

/**
 * A sealed value in databases.json opens with neither `DUCKLING_SECRETS_KEY` nor
 * `DUCKLING_SECRETS_KEY_PREVIOUS`, or is sealed while no key is set. Startup stops.
 */
export class SecretsUnreadableError extends Error {
  readonly finding = SECRETS_UNREADABLE;

  /** `noKeySet` is true when neither key variable is set, and the message then names that cause. */
  constructor(readonly field: string, noKeySet = false) {
    super(
      noKeySet
        ? `${SECRETS_UNREADABLE}: sealed value ${field} in databases.json cannot be opened because DUCKLING_SECRETS_KEY is not set; set it to the key the value was sealed with, or replace the value with the clear secret`
        : `${SECRETS_UNREADABLE}: sealed value ${field} in databases.json opens with neither DUCKLING_SECRETS_KEY nor DUCKLING_SECRETS_KEY_PREVIOUS; set the key it was sealed with (as DUCKLING_SECRETS_KEY or DUCKLING_SECRETS_KEY_PREVIOUS), or replace the value with the clear secret`,
    );
    this.name = 'SecretsUnreadableError';
  }
}

/** An opened value, and whether the next write must seal it again (clear, or sealed under the previous key). */
export interface OpenedSecret {
  clear: string;
  needsReseal: boolean;
}

/**
 * Seals secrets of databases.json with AES-256-GCM under `DUCKLING_SECRETS_KEY`. The associated
 * data `<id>/<field>` binds each sealed value to its record and field, so a value copied into
 * another record or field does not open. Without a key, values are written in clear.
 */
export class SecretSealer {
  private constructor(
    private readonly current: Buffer | null,
    private readonly previous: Buffer | null,
  ) {}

  /** Reads both keys from the settings; throws `SecretsKeyInvalidError` for a malformed one. */
  static fromConfig(config: Config): SecretSealer {
    return new SecretSealer(
      readKey(config.raw.DUCKLING_SECRETS_KEY, 'DUCKLING_SECRETS_KEY'),
      readKey(config.raw.DUCKLING_SECRETS_KEY_PREVIOUS, 'DUCKLING_SECRETS_KEY_PREVIOUS'),
    );
  }

  static withKeys(current: Buffer | null, previous: Buffer | null = null): SecretSealer {
    return new SecretSealer(current, previous);
  }

  /** True when values are sealed on write. */
  get sealing(): boolean {
    return this.current !== null;
  }

  /** Seals a clear value under the current key with a fresh nonce; without a key returns it unchanged. */
  seal(clear: string, associatedData: string): string {
    if (!this.current) return clear;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.current, nonce);
    cipher.setAAD(Buffer.from(associatedData, 'utf8'));
    const ciphertext = Buffer.concat([cipher.update(clear, 'utf8'), cipher.final()]);
    return `${SEALED_PREFIX}${Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64')}`;
  }

  /**
   * Opens a stored value: a clear one is returned as is, a sealed one is opened with the current
   * key, then the previous one. Throws `SecretsUnreadableError` when neither opens it.
   */
  open(stored: string, associatedData: string): OpenedSecret {
    if (!stored.startsWith(SEALED_PREFIX)) return { clear: stored, needsReseal: this.current !== null };

    const sealed = Buffer.from(stored.slice(SEALED_PREFIX.length), 'base64');
    const fromCurrent = this.current ? tryOpen(sealed, this.current, associatedData) : null;
    if (fromCurrent !== null) return { clear: fromCurrent, needsReseal: false };

    const fromPrevious = this.previous ? tryOpen(sealed, this.previous, associatedData) : null;
    if (fromPrevious !== null) return { clear: fromPrevious, needsReseal: true };

    throw new SecretsUnreadableError(associatedData, this.current === null && this.previous === null);
  }
}

function readKey(value: unknown, variable: string): Buffer | null {
  if (value === null || value === undefined || value === '') return null;
  if (typeof value !== 'string' || !KEY_PATTERN.test(value)) throw new SecretsKeyInvalidError(variable);
  return Buffer.from(value, 'hex');
}

function tryOpen(sealed: Buffer, key: Buffer, associatedData: string): string | null {
  if (sealed.length < NONCE_BYTES + TAG_BYTES) return null;
  const nonce = sealed.subarray(0, NONCE_BYTES);
  const tag = sealed.subarray(sealed.length - TAG_BYTES);
  const ciphertext = sealed.subarray(NONCE_BYTES, sealed.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce);
    decipher.setAAD(Buffer.from(associatedData, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
  } catch {
    return null;
  }
}
