import { createHash, timingSafeEqual } from 'node:crypto';
import type { Principal } from './principal.js';

/** Query parameters that would carry a credential in a URL, where proxies and logs keep it; matched ignoring case. */
export const URL_CREDENTIAL_PARAMETERS = ['token', 'access_token', 'apiKey', 'api_key', 'key', 'password'] as const;

const URL_CREDENTIAL_NAMES = new Set<string>(URL_CREDENTIAL_PARAMETERS.map((name) => name.toLowerCase()));

/**
 * Returns the credential parameters present in a parsed query string, spelled as the client sent
 * them. Names match ignoring case, so `?APIKEY=` and `?Token=` count too.
 */
export function findUrlCredentialParameters(query: unknown): string[] {
  if (typeof query !== 'object' || query === null) return [];
  return Object.keys(query).filter((name) => URL_CREDENTIAL_NAMES.has(name.toLowerCase()));
}

/**
 * Extracts the credential of an `Authorization` header: `Bearer <key>` (scheme case-insensitive)
 * or a bare `<key>`. Returns null when the header is absent or blank.
 */
export function readAuthorizationCredential(header: string | undefined): string | null {
  if (header === undefined) return null;
  const trimmed = header.trim();
  if (trimmed === '') return null;

  const match = /^Bearer(?:\s+(.*))?$/i.exec(trimmed);
  if (!match) return trimmed;
  const credential = (match[1] ?? '').trim();
  return credential === '' ? null : credential;
}

/** First 12 hex characters of the key's SHA-256: identifies a key in logs without revealing it. */
export function keyFingerprint(key: string): string {
  return sha256(key).toString('hex').slice(0, 12);
}

export interface ApiKeyVerifier {
  /** False when neither `DUCKLING_API_KEY` nor `DUCKLING_API_KEY_PREVIOUS` is set. */
  readonly configured: boolean;
  /** Returns the principal of a matching key, else null. */
  verify(presented: string): Principal | null;
}

/**
 * Builds the verifier of the global API keys. Keys are compared as SHA-256 digests through
 * `timingSafeEqual`, so the comparison time does not depend on the key's length or content, and
 * both keys are always compared so timing does not reveal which one matched.
 */
export function createApiKeyVerifier(keys: { current: string | null; previous: string | null }): ApiKeyVerifier {
  const candidates = [
    { which: 'current' as const, key: keys.current },
    { which: 'previous' as const, key: keys.previous },
  ].flatMap(({ which, key }) => (key ? [{ which, digest: sha256(key), fingerprint: keyFingerprint(key) }] : []));

  return {
    configured: candidates.length > 0,
    verify(presented: string): Principal | null {
      const digest = sha256(presented);
      let matched: (typeof candidates)[number] | null = null;
      for (const candidate of candidates) {
        if (timingSafeEqual(digest, candidate.digest) && matched === null) matched = candidate;
      }
      if (!matched) return null;
      return { kind: 'apiKey', tier: 'apiKey', keyFingerprint: matched.fingerprint, key: matched.which };
    },
  };
}

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
