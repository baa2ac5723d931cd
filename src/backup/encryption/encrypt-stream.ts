import { createCipheriv, createHmac, randomBytes, type Hmac } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { deriveBackupKeys, keyFingerprint } from './keys.js';
import {
  DEFAULT_CHUNK_BYTES,
  NONCE_PREFIX_BYTES,
  SALT_BYTES,
  chunkAad,
  chunkNonce,
  encodeHeader,
} from './header.js';

/** The GCM counter is 4 bytes, so one object contains at most 2^32 chunks. */
const MAX_CHUNKS = 2 ** 32;
export const TAG_BYTES = 16;

/** The facts an encrypted backup's manifest records, known once the stream has ended. */
export interface EncryptionSummary {
  algorithm: 'aes-256-gcm-chunked-hkdf-sha256';
  chunkSize: number;
  keyFingerprint: string;
  /** HMAC-SHA256 under `K_mac` over the whole object (header and every chunk), hex. */
  hmacSha256: string;
  /** Bytes written: header plus chunks with their tags. */
  objectSize: number;
}

/**
 * Encrypts a plaintext stream into the `client-aes256` object format, computing the whole-object
 * HMAC in the same pass. Memory stays bounded by about two chunks whatever the input size.
 * A full chunk is encrypted only once one more byte arrives, because only the last chunk carries
 * the final flag and the stream cannot know which chunk is last before it ends.
 */
export class EncryptingStream extends Transform {
  private readonly header: Buffer;
  private readonly encryptionKey: Buffer;
  private readonly hmac: Hmac;
  private readonly fingerprintHex: string;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private chunkIndex = 0;
  private objectBytes = 0;
  private headerSent = false;
  private summaryValue: EncryptionSummary | null = null;

  constructor(
    masterKey: Buffer,
    private readonly chunkBytes: number = DEFAULT_CHUNK_BYTES,
  ) {
    super();
    const salt = randomBytes(SALT_BYTES);
    const fingerprint = keyFingerprint(masterKey);
    this.header = encodeHeader({ chunkBytes, fingerprint, salt, noncePrefix: randomBytes(NONCE_PREFIX_BYTES) });
    const keys = deriveBackupKeys(masterKey, salt);
    this.encryptionKey = keys.encryption;
    this.hmac = createHmac('sha256', keys.mac);
    this.fingerprintHex = fingerprint.toString('hex');
  }

  /** Returns the manifest facts; throws before the stream has ended. */
  summary(): EncryptionSummary {
    if (!this.summaryValue) throw new Error('the encryption summary is known only after the stream has ended');
    return this.summaryValue;
  }

  override _transform(data: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    try {
      this.sendHeaderOnce();
      this.pending.push(data);
      this.pendingBytes += data.length;
      while (this.pendingBytes > this.chunkBytes) this.sendChunk(this.takePending(this.chunkBytes), false);
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  override _flush(callback: TransformCallback): void {
    try {
      this.sendHeaderOnce();
      // The rest is 1 to chunkBytes bytes, or 0 only when the whole plaintext is empty.
      this.sendChunk(this.takePending(this.pendingBytes), true);
      this.summaryValue = {
        algorithm: 'aes-256-gcm-chunked-hkdf-sha256',
        chunkSize: this.chunkBytes,
        keyFingerprint: this.fingerprintHex,
        hmacSha256: this.hmac.digest('hex'),
        objectSize: this.objectBytes,
      };
      callback();
    } catch (error) {
      callback(error as Error);
    }
  }

  private sendHeaderOnce(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.send(this.header);
  }

  private sendChunk(plaintext: Buffer, final: boolean): void {
    if (this.chunkIndex >= MAX_CHUNKS) throw new RangeError(`plaintext needs more than ${MAX_CHUNKS} chunks of ${this.chunkBytes} bytes; use a larger chunk size`);
    const cipher = createCipheriv('aes-256-gcm', this.encryptionKey, chunkNonce(this.header.subarray(56, 63), this.chunkIndex, final));
    cipher.setAAD(chunkAad(this.header, this.chunkIndex, final));
    const body = cipher.update(plaintext);
    const tail = cipher.final();
    this.send(tail.length > 0 ? Buffer.concat([body, tail]) : body);
    this.send(cipher.getAuthTag());
    this.chunkIndex += 1;
  }

  private send(bytes: Buffer): void {
    this.hmac.update(bytes);
    this.objectBytes += bytes.length;
    this.push(bytes);
  }

  /** Removes and returns the first `length` pending plaintext bytes. */
  private takePending(length: number): Buffer {
    const all = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    const taken = all.subarray(0, length);
    const rest = all.subarray(length);
    this.pending = rest.length > 0 ? [rest] : [];
    this.pendingBytes = rest.length;
    return taken;
  }
}
