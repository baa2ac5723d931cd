/**
 * DuckDB instance options that lock a replica down: no file access from SQL, no extension
 * downloads, and spill files in the replica's own temp directory.
 *
 * NOTE: DuckDB applies options in insertion order and rejects `temp_directory` once
 * `enable_external_access` is false (DuckDB 1.5), so the access switch must stay last.
 */
export interface ReplicaSettings {
  tempDirectory: string;
  memoryLimitBytes: number;
  threads: number;
  maxTempDirectorySize: string | null;
  preserveInsertionOrder: boolean;
}

/** Extensions are never downloaded: this points any attempt at a closed loopback port. */
const LOOPBACK_EXTENSION_REPOSITORY = 'http://127.0.0.1:9';

export function instanceOptions(settings: ReplicaSettings): Record<string, string> {
  const options: Record<string, string> = {
    temp_directory: settings.tempDirectory,
    memory_limit: `${Math.max(64, Math.floor(settings.memoryLimitBytes / (1024 * 1024)))}MiB`,
    threads: String(Math.max(1, settings.threads)),
    preserve_insertion_order: String(settings.preserveInsertionOrder),
    autoinstall_known_extensions: 'false',
    autoload_known_extensions: 'false',
    allow_community_extensions: 'false',
    custom_extension_repository: LOOPBACK_EXTENSION_REPOSITORY,
  };
  if (settings.maxTempDirectorySize) options.max_temp_directory_size = settings.maxTempDirectorySize;
  options.enable_external_access = 'false';
  return options;
}

/**
 * Statements run once on the first connection after the instance opens. TimeZone is an ICU
 * setting that DuckDB 1.5 does not take as an instance option, so it is set globally here, and
 * `lock_configuration` then stops every later connection from changing any setting.
 */
export const GLOBAL_TIME_ZONE_STATEMENT = "SET GLOBAL TimeZone='UTC'";
export const LOCK_CONFIGURATION_STATEMENT = 'SET lock_configuration=true';
