import { existsSync } from 'node:fs';
import { readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';
import { writeFileAtomic } from './atomic-write.js';
import { deriveDatabaseId } from './database-id.js';
import { validateRecords, type DatabaseRecord } from './database-record.js';
import { openRecordSecrets, sealRecordSecrets } from './record-secrets.js';
import { SecretSealer, SecretsKeyInvalidError, SecretsUnreadableError } from './secret-sealing.js';

export const REGISTRY_FILE_NAME = 'databases.json';

/** Id of the database seeded from `MYSQL_CONNECTION_STRING`. */
export const DEFAULT_DATABASE_ID = 'default';

/** Startup must stop: the registry could not be read, parsed or validated. */
export class RegistryError extends Error {
  constructor(
    readonly problems: string[],
    options: { cause?: unknown } = {},
  ) {
    super(problems.join('\n'), options);
    this.name = 'RegistryError';
  }
}

/**
 * The database records of `DATA_PATH/databases.json`. Records are validated on load; the file is
 * only ever rewritten whole and atomically (mode 0600).
 */
export class DatabaseRegistry {
  /** Rewrites of the file run one at a time, each from the records the previous one left. */
  private writes: Promise<unknown> = Promise.resolve();
  /** Listeners that receive the new record list after each successful rewrite of the file. */
  private readonly writeListeners: Array<(records: readonly DatabaseRecord[]) => void> = [];

  private constructor(
    readonly filePath: string,
    private readonly dataPath: string,
    private readonly defaultReplicaFile: string,
    private records: readonly DatabaseRecord[],
    private readonly sealer: SecretSealer,
    private readonly logger: Logger,
  ) {}

  /**
   * Reads the registry. When the file is absent and `MYSQL_CONNECTION_STRING` is set, creates
   * database `default` and writes the file; when both are absent, writes nothing, so a connection
   * string set later still seeds `default`. A file that is not valid JSON is moved aside to
   * `databases.json.corrupted.<timestamp>` and loading fails; an I/O error or an invalid record
   * fails without touching the file. Sealed secrets are opened with `DUCKLING_SECRETS_KEY` or
   * `DUCKLING_SECRETS_KEY_PREVIOUS`; a value neither opens fails loading (`secrets_unreadable`).
   */
  static async load(deps: { config: Config; logger: Logger }): Promise<DatabaseRegistry> {
    const { config } = deps;
    const logger = deps.logger.child({ subsystem: 'registry' });
    const filePath = path.join(config.dataPath, REGISTRY_FILE_NAME);
    const sealer = createSealer(config);

    const text = await readRegistryText(filePath);
    if (text === null) return DatabaseRegistry.seed(config, filePath, logger, sealer);

    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      const movedTo = await moveAsideCorrupted(filePath);
      logger.error({ err: error, file: filePath, movedTo }, 'registry file is not valid JSON');
      throw new RegistryError(
        [`${filePath} is not valid JSON (${(error as Error).message}); it was moved to ${movedTo}. Fix and move it back, or delete it to start from MYSQL_CONNECTION_STRING`],
        { cause: error },
      );
    }

    const resealCount = openSecrets(parsed, sealer, filePath, logger);
    const problems = validateRecords(parsed);
    if (problems.length > 0) {
      throw new RegistryError(problems.map((problem) => `${filePath}: ${problem}`));
    }
    const records = parsed as DatabaseRecord[];
    logger.info({ file: filePath, databases: records.map((record) => record.id) }, 'registry loaded');
    if (resealCount > 0) {
      logger.info({ file: filePath, values: resealCount }, 'secrets in clear or sealed under DUCKLING_SECRETS_KEY_PREVIOUS are sealed under DUCKLING_SECRETS_KEY at the next write');
    }
    warnIfSeedIgnored(records, config, filePath, logger);
    return new DatabaseRegistry(filePath, config.dataPath, path.basename(config.duckdbPath), records, sealer, logger);
  }

  private static async seed(config: Config, filePath: string, logger: Logger, sealer: SecretSealer): Promise<DatabaseRegistry> {
    const connectionString = config.mysql.connectionString;
    if (!connectionString) {
      logger.info({ file: filePath }, 'no registry file and no MYSQL_CONNECTION_STRING; starting without databases');
      return new DatabaseRegistry(filePath, config.dataPath, path.basename(config.duckdbPath), [], sealer, logger);
    }

    const now = new Date().toISOString();
    const record: DatabaseRecord = {
      id: DEFAULT_DATABASE_ID,
      name: DEFAULT_DATABASE_ID,
      mysqlConnectionString: connectionString,
      duckdbPath: path.basename(config.duckdbPath),
      createdAt: now,
      updatedAt: now,
    };
    const registry = new DatabaseRegistry(filePath, config.dataPath, record.duckdbPath, [record], sealer, logger);
    await registry.save();
    logger.info({ file: filePath, databaseId: record.id }, 'registry created from MYSQL_CONNECTION_STRING');
    return registry;
  }

  list(): readonly DatabaseRecord[] {
    return this.records;
  }

  get(id: string): DatabaseRecord | undefined {
    return this.records.find((record) => record.id === id);
  }

  /** Absolute path of a database's replica file. */
  replicaPath(record: DatabaseRecord): string {
    return path.join(this.dataPath, record.duckdbPath);
  }

  /**
   * Picks the id and replica file name of a new database named `name` (see `deriveDatabaseId`).
   * An id counts as taken when a record has it, or when its replica file is named by a record or
   * already exists in `DATA_PATH`, so a file kept by an earlier deletion is never adopted.
   */
  allocate(name: string): { id: string; duckdbPath: string } {
    const fileOf = (id: string) => (id === DEFAULT_DATABASE_ID ? this.defaultReplicaFile : `${id}.db`);
    const isTaken = (id: string) => {
      const file = fileOf(id);
      return (
        this.records.some((record) => record.id === id || record.duckdbPath === file) ||
        existsSync(path.join(this.dataPath, file)) ||
        existsSync(path.join(this.dataPath, `${file}.wal`))
      );
    };
    const id = deriveDatabaseId(name, isTaken);
    return { id, duckdbPath: fileOf(id) };
  }

  /** Appends a record and rewrites the file; the record list changes only once the file is written. */
  add(record: DatabaseRecord): Promise<void> {
    return this.rewrite((records) => [...records, record]);
  }

  /** Replaces the record with the same id and rewrites the file. */
  replace(record: DatabaseRecord): Promise<void> {
    return this.rewrite((records) => {
      if (!records.some((existing) => existing.id === record.id)) throw new Error(`database "${record.id}" is not in the registry`);
      return records.map((existing) => (existing.id === record.id ? record : existing));
    });
  }

  /**
   * Replaces the record with this id by `change` applied to its current version, and rewrites the
   * file. Unlike `replace`, a change made meanwhile by another writer is not lost. The change runs in
   * the write queue and may throw to cancel the write.
   */
  update(id: string, change: (record: DatabaseRecord) => DatabaseRecord): Promise<void> {
    return this.rewrite((records) => {
      if (!records.some((existing) => existing.id === id)) throw new Error(`database "${id}" is not in the registry`);
      return records.map((existing) => (existing.id === id ? change(existing) : existing));
    });
  }

  /** Rewrites the file unchanged, so every secret is sealed under the current `DUCKLING_SECRETS_KEY`. */
  reseal(): Promise<void> {
    return this.rewrite((records) => [...records]);
  }

  /** Removes the record with this id and rewrites the file. */
  remove(id: string): Promise<void> {
    return this.rewrite((records) => records.filter((record) => record.id !== id));
  }

  /**
   * Registers a listener that runs after every successful rewrite (add, replace, update, remove),
   * so state derived from the records can follow them. A listener that throws does not undo the write.
   */
  onWritten(listener: (records: readonly DatabaseRecord[]) => void): void {
    this.writeListeners.push(listener);
  }

  /**
   * Computes the next record list from the current one, validates it with the load-time rules and
   * writes it. A rejected list or a failed write leaves both the file and the list unchanged.
   */
  private rewrite(change: (records: readonly DatabaseRecord[]) => DatabaseRecord[]): Promise<void> {
    const write = this.writes.then(async () => {
      const next = change(this.records);
      const problems = validateRecords(next);
      if (problems.length > 0) throw new RegistryError(problems);
      await writeFileAtomic(this.filePath, serialize(sealRecordSecrets(next, this.sealer)));
      this.records = next;
      this.notifyWritten();
    });
    this.writes = write.catch(() => undefined);
    return write;
  }

  private notifyWritten(): void {
    for (const listener of this.writeListeners) {
      try {
        listener(this.records);
      } catch (error) {
        this.logger.error({ err: error }, 'registry write listener failed');
      }
    }
  }

  private async save(): Promise<void> {
    await writeFileAtomic(this.filePath, serialize(sealRecordSecrets(this.records, this.sealer)));
  }
}

function createSealer(config: Config): SecretSealer {
  try {
    return SecretSealer.fromConfig(config);
  } catch (error) {
    if (error instanceof SecretsKeyInvalidError) throw new RegistryError([error.message], { cause: error });
    throw error;
  }
}

/** Opens the sealed values of the parsed file in place; returns how many the next write seals again. */
function openSecrets(parsed: unknown, sealer: SecretSealer, filePath: string, logger: Logger): number {
  try {
    return openRecordSecrets(parsed, sealer);
  } catch (error) {
    if (!(error instanceof SecretsUnreadableError)) throw error;
    logger.error({ file: filePath, field: error.field, finding: error.finding }, 'sealed secret cannot be opened');
    throw new RegistryError([`${filePath}: ${error.message}`], { cause: error });
  }
}

function serialize(records: readonly DatabaseRecord[]): string {
  return `${JSON.stringify(records, null, 2)}\n`;
}

async function readRegistryText(filePath: string): Promise<string | null> {
  try {
    return await readFile(filePath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new RegistryError([`${filePath} could not be read: ${(error as Error).message}; check the file's permissions and owner`], {
      cause: error,
    });
  }
}

async function moveAsideCorrupted(filePath: string): Promise<string> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const target = `${filePath}.corrupted.${stamp}`;
  await rename(filePath, target);
  return target;
}

/**
 * MYSQL_CONNECTION_STRING only seeds a registry that does not exist yet, so an edited value would
 * otherwise be ignored without a word. The values are compared, never logged.
 */
function warnIfSeedIgnored(records: DatabaseRecord[], config: Config, filePath: string, logger: Logger): void {
  const seed = config.mysql.connectionString;
  const seeded = records.find((record) => record.id === DEFAULT_DATABASE_ID);
  if (!seed || !seeded || seeded.mysqlConnectionString === seed) return;
  logger.warn(
    { file: filePath, databaseId: DEFAULT_DATABASE_ID },
    'MYSQL_CONNECTION_STRING differs from the registry and is ignored; edit the connection string in databases.json (with the server stopped) or delete the file to seed it again',
  );
}
