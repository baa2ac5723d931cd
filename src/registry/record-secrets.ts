/**
 * Sealing and opening of the secret fields of database records: the connection string,
 * `s3.secretAccessKey`, `s3.encryptionKey` and every keyring key.
 */
import type { SecretSealer } from './secret-sealing.js';

/** One secret field: its associated-data name and how to read and replace it. */
interface SecretField {
  name: string;
  value: string;
  replace(value: string): void;
}

/**
 * Lists the string-valued secret fields of a parsed entry. The associated data is
 * `<id>/<field>`, with keyring keys named by their fingerprint so that reordering the keyring
 * does not break them.
 */
function secretFields(entry: Record<string, unknown>): SecretField[] {
  const id = String(entry.id);
  const fields: SecretField[] = [];
  const add = (owner: Record<string, unknown>, property: string, name: string) => {
    const value = owner[property];
    if (typeof value === 'string') fields.push({ name: `${id}/${name}`, value, replace: (next) => (owner[property] = next) });
  };

  add(entry, 'mysqlConnectionString', 'mysqlConnectionString');
  const s3 = entry.s3;
  if (isObject(s3)) {
    add(s3, 'secretAccessKey', 's3.secretAccessKey');
    add(s3, 'encryptionKey', 's3.encryptionKey');
    if (Array.isArray(s3.keyring)) {
      for (const retired of s3.keyring) {
        if (isObject(retired)) add(retired, 'key', `s3.keyring.${String(retired.fingerprint)}`);
      }
    }
  }
  return fields;
}

/**
 * Opens every sealed value of the parsed registry in place and returns how many values the next
 * write seals again. Throws `SecretsUnreadableError` when one opens with neither key.
 */
export function openRecordSecrets(entries: unknown, sealer: SecretSealer): number {
  if (!Array.isArray(entries)) return 0;
  let resealCount = 0;
  for (const entry of entries) {
    if (!isObject(entry)) continue;
    for (const field of secretFields(entry)) {
      const opened = sealer.open(field.value, field.name);
      field.replace(opened.clear);
      if (opened.needsReseal) resealCount += 1;
    }
  }
  return resealCount;
}

/** Returns a deep copy of the records with every secret sealed under the current key. */
export function sealRecordSecrets<T>(records: readonly T[], sealer: SecretSealer): T[] {
  const copy = structuredClone(records) as T[];
  if (!sealer.sealing) return copy;
  for (const entry of copy) {
    if (!isObject(entry)) continue;
    for (const field of secretFields(entry)) field.replace(sealer.seal(field.value, field.name));
  }
  return copy;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
