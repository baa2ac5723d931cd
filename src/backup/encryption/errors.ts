/** Verification stage at which a `client-aes256` object or its manifest failed, named as in the verify response. */
export type IntegrityStage = 'header' | 'manifest_mac' | 'hmac' | 'decrypt' | 'sha256';

/**
 * An encrypted backup or its manifest does not match what was written: it was changed, truncated,
 * extended or reordered, or it is not a Duckling backup at all. The message is for the server log;
 * API callers get one generic integrity message whatever the stage.
 */
export class BackupIntegrityError extends Error {
  constructor(
    readonly stage: IntegrityStage,
    message: string,
  ) {
    super(message);
    this.name = 'BackupIntegrityError';
  }
}

/** No configured or retired key has the fingerprint that the backup's header or manifest names. */
export class BackupKeyUnknownError extends Error {
  constructor(readonly fingerprint: string) {
    super(
      `no encryption key with fingerprint ${fingerprint} is configured or in the keyring; put the key that wrote this backup back into the database's s3 settings (encryptionKey or keyring)`,
    );
    this.name = 'BackupKeyUnknownError';
  }
}
