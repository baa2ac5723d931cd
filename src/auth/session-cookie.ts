import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import type { AdminSession } from './admin-tokens.js';

/** Cookie name on HTTPS: the `__Host-` prefix makes browsers require Secure, Path=/ and no Domain. */
export const SECURE_SESSION_COOKIE = '__Host-duckling_session';
/** Cookie name on plain HTTP, where browsers refuse `__Host-` cookies. */
export const PLAIN_SESSION_COOKIE = 'duckling_session';

const KEY_INFO = 'duckling-session-v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** The cookie's content; it shares `jti` with the token of the same login, so one logout revokes both. */
interface SealedSession {
  jti: string;
  sub: string;
  iat: number;
  exp: number;
}

/**
 * Seals admin sessions into cookie values with AES-256-GCM under a key derived by HKDF-SHA256 from
 * `SESSION_SECRET`. A value is base64url of nonce, ciphertext and tag; changing any byte, or the
 * secret, makes `unseal` return null.
 */
export class SessionCookieSealer {
  private readonly key: Buffer;

  constructor(sessionSecret: string) {
    this.key = Buffer.from(hkdfSync('sha256', sessionSecret, Buffer.alloc(0), KEY_INFO, 32));
  }

  seal(session: AdminSession): string {
    const content: SealedSession = { jti: session.jti, sub: session.username, iat: session.issuedAtSec, exp: session.expiresAtSec };
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(KEY_INFO));
    const ciphertext = Buffer.concat([cipher.update(JSON.stringify(content), 'utf8'), cipher.final()]);
    return Buffer.concat([nonce, ciphertext, cipher.getAuthTag()]).toString('base64url');
  }

  /** Returns the session of a cookie value, or null when it was not sealed with this secret or was changed. */
  unseal(value: string): AdminSession | null {
    const bytes = Buffer.from(value, 'base64url');
    if (bytes.length <= NONCE_BYTES + TAG_BYTES) return null;

    const nonce = bytes.subarray(0, NONCE_BYTES);
    const tag = bytes.subarray(bytes.length - TAG_BYTES);
    const ciphertext = bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES);
    let text: string;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonce);
      decipher.setAAD(Buffer.from(KEY_INFO));
      decipher.setAuthTag(tag);
      text = Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
    } catch {
      // GCM authentication failed: the value was changed or sealed under another secret.
      return null;
    }

    const content = JSON.parse(text) as Partial<SealedSession>;
    if (typeof content.jti !== 'string' || typeof content.sub !== 'string' || typeof content.iat !== 'number' || typeof content.exp !== 'number') {
      return null;
    }
    return { jti: content.jti, username: content.sub, issuedAtSec: content.iat, expiresAtSec: content.exp };
  }
}
