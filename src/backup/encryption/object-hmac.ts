import { createHmac, timingSafeEqual, type Hmac } from 'node:crypto';
import { BackupIntegrityError } from './errors.js';
import { HEADER_BYTES } from './header.js';
import { deriveBackupKeys } from './keys.js';

/**
 * Computes the whole-object HMAC-SHA256 of a `client-aes256` object while its bytes stream past,
 * for example during a download, so that no extra pass over the file is needed. `K_mac` depends on
 * the salt in the header, so the first 64 bytes are held until the header is complete.
 */
export class StreamingObjectHmac {
  private header: Buffer[] = [];
  private headerBytes = 0;
  private hmac: Hmac | null = null;

  constructor(private readonly masterKey: Buffer) {}

  update(data: Buffer): void {
    if (this.hmac) {
      this.hmac.update(data);
      return;
    }
    this.header.push(data);
    this.headerBytes += data.length;
    if (this.headerBytes < HEADER_BYTES) return;

    const seen = Buffer.concat(this.header, this.headerBytes);
    const salt = seen.subarray(24, 56);
    this.hmac = createHmac('sha256', deriveBackupKeys(this.masterKey, salt).mac);
    this.hmac.update(seen);
    this.header = [];
  }

  /**
   * Compares the HMAC of every byte seen with the manifest's value in constant time. Throws
   * `BackupIntegrityError` (stage `hmac`) when it differs or the object was shorter than a header.
   */
  verify(expectedHex: string): void {
    const expected = Buffer.from(expectedHex, 'hex');
    if (expected.length !== 32 || expected.toString('hex') !== expectedHex.toLowerCase()) {
      throw new BackupIntegrityError('hmac', 'the manifest HMAC is not 64 hexadecimal characters');
    }
    if (!this.hmac) throw new BackupIntegrityError('hmac', `object is ${this.headerBytes} bytes, shorter than the ${HEADER_BYTES}-byte header`);
    if (!timingSafeEqual(this.hmac.digest(), expected)) {
      throw new BackupIntegrityError('hmac', 'the whole-object HMAC does not match the manifest');
    }
  }
}
