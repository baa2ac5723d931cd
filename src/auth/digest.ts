import { createHash, timingSafeEqual } from 'node:crypto';

export function sha256(text: string | Buffer): Buffer {
  return createHash('sha256').update(text).digest();
}

/**
 * Compares two secrets in constant time. Both sides are hashed first, so the time depends neither
 * on their lengths nor on where they differ.
 */
export function secretsEqual(presented: string, expected: string): boolean {
  return timingSafeEqual(sha256(presented), sha256(expected));
}
