import { errorMessage } from '../errors/index.js';
import { INTERNAL_FORMAT_VERSION, duckdbVersion } from '../replica/index.js';
import type { SourceIdentity } from '../source/index.js';
import { digestFile, readImageFacts, withImage, type ImageFacts, type ScratchSettings } from './image-facts.js';
import type { BackupManifest } from './manifest.js';

/** One verification stage as `POST /api/backups/verify` returns it. */
export interface VerifyCheck {
  name: string;
  ok: boolean;
  detail: string;
}

/**
 * Result of a verification. `failure` classifies the first failed check: `other-database` for a
 * backup of another database or source, `integrity` for everything else; null when all passed.
 */
export interface VerifyOutcome {
  valid: boolean;
  checks: VerifyCheck[];
  failure: 'integrity' | 'other-database' | null;
}

/** The database a backup is checked against. */
export interface VerifyTarget {
  databaseId: string;
  /** Source identity recorded in the target's replica; null when it has none (or no replica). */
  recordedIdentity: SourceIdentity | null;
}

/**
 * Checks a plaintext file's size and SHA-256 against the manifest: stages `size` and `sha256`.
 * Returns the checks up to and including the first failure.
 */
export async function checkPlaintextDigest(filePath: string, expected: { size: number; sha256: string }): Promise<VerifyCheck[]> {
  const actual = await digestFile(filePath);
  if (actual.size !== expected.size) {
    return [{ name: 'size', ok: false, detail: `file has ${actual.size} bytes, the manifest records ${expected.size}` }];
  }
  const checks: VerifyCheck[] = [{ name: 'size', ok: true, detail: `${actual.size} bytes` }];
  checks.push(
    actual.sha256 === expected.sha256
      ? { name: 'sha256', ok: true, detail: actual.sha256 }
      : { name: 'sha256', ok: false, detail: `file SHA-256 ${actual.sha256} differs from the manifest's ${expected.sha256}` },
  );
  return checks;
}

/**
 * Verifies a plaintext image file against its manifest and the target database, in the stages
 * `identity`, `open` and `tables`, stopping at the first failure. The file is opened read-only in
 * a scratch DuckDB instance and never changed. Unless `allowCrossDatabase` is set, the manifest's
 * database id, and its source identity where the target recorded one, must match the target.
 */
export async function verifyImageFile(
  filePath: string,
  manifest: BackupManifest,
  target: VerifyTarget,
  options: { allowCrossDatabase: boolean; scratch: ScratchSettings },
): Promise<VerifyOutcome> {
  const checks: VerifyCheck[] = [];

  const identity = checkIdentity(manifest, target, options.allowCrossDatabase);
  checks.push(identity);
  if (!identity.ok) return { valid: false, checks, failure: 'other-database' };

  let facts: ImageFacts;
  try {
    facts = await withImage(filePath, options.scratch, readImageFacts);
  } catch (error) {
    checks.push({ name: 'open', ok: false, detail: `opening the image read-only failed: ${errorMessage(error)}` });
    return { valid: false, checks, failure: 'integrity' };
  }
  const opened = checkMeta(facts, manifest);
  checks.push(opened);
  if (!opened.ok) return { valid: false, checks, failure: 'integrity' };

  const tables = compareTables(facts, manifest);
  checks.push(tables);
  return tables.ok ? { valid: true, checks, failure: null } : { valid: false, checks, failure: 'integrity' };
}

function checkIdentity(manifest: BackupManifest, target: VerifyTarget, allowCrossDatabase: boolean): VerifyCheck {
  const problems: string[] = [];
  if (manifest.databaseId !== target.databaseId) {
    problems.push(`the backup is of database "${manifest.databaseId}", not "${target.databaseId}"`);
  }
  const recorded = target.recordedIdentity;
  if (recorded !== null && manifest.source.identity !== null) {
    if (manifest.source.identity !== recorded.identity || manifest.source.schema !== recorded.schema) {
      problems.push(`the backup was copied from source schema "${manifest.source.schema}" on another server or schema than the target's "${recorded.schema}"`);
    }
  }
  if (problems.length === 0) return { name: 'identity', ok: true, detail: `database "${manifest.databaseId}"` };
  if (allowCrossDatabase) return { name: 'identity', ok: true, detail: `allowed by allowCrossDatabase: ${problems.join('; ')}` };
  return { name: 'identity', ok: false, detail: `${problems.join('; ')}; set allowCrossDatabase to restore it anyway` };
}

/** Checks that the image carries the internal schema of a Duckling replica of the manifest's database. */
function checkMeta(facts: ImageFacts, manifest: BackupManifest): VerifyCheck {
  const format = Number(facts.meta.format_version);
  if (!Number.isInteger(format) || format < 1 || format > INTERNAL_FORMAT_VERSION) {
    return { name: 'open', ok: false, detail: `_duckling.meta has format_version ${facts.meta.format_version ?? 'missing'}; this Duckling reads 1 to ${INTERNAL_FORMAT_VERSION}` };
  }
  if (facts.meta.database_id !== manifest.databaseId) {
    return { name: 'open', ok: false, detail: `_duckling.meta names database "${facts.meta.database_id ?? 'missing'}" but the manifest "${manifest.databaseId}"` };
  }
  return { name: 'open', ok: true, detail: `internal schema format ${format}, ${facts.tables.length} tables` };
}

/**
 * Compares row counts and checksums with the manifest. Checksums use DuckDB's row hash, so they are
 * skipped, and the detail notes it, when the backup was made under another DuckDB version.
 */
function compareTables(facts: ImageFacts, manifest: BackupManifest): VerifyCheck {
  const sameHash = manifest.duckdbVersion === duckdbVersion();
  const expected = new Map(manifest.tables.map((table) => [table.name, table]));
  const problems: string[] = [];
  for (const table of facts.tables) {
    const entry = expected.get(table.name);
    expected.delete(table.name);
    if (!entry) problems.push(`table ${table.name} is not in the manifest`);
    else if (entry.rows !== table.rows) problems.push(`table ${table.name} has ${table.rows} rows, the manifest ${entry.rows}`);
    else if (sameHash && entry.checksum !== table.checksum) problems.push(`table ${table.name} checksum differs from the manifest`);
  }
  for (const name of expected.keys()) problems.push(`table ${name} of the manifest is missing`);
  if (problems.length > 0) return { name: 'tables', ok: false, detail: problems.slice(0, 5).join('; ') };
  const rows = facts.tables.reduce((sum, table) => sum + table.rows, 0);
  const checksums = sameHash ? '' : `; checksums not compared, because the backup was made with DuckDB ${manifest.duckdbVersion} and this is ${duckdbVersion()}`;
  return { name: 'tables', ok: true, detail: `${facts.tables.length} tables, ${rows} rows match the manifest${checksums}` };
}
