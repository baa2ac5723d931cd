import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/index.js';
import type { Logger } from '../logging/index.js';

/**
 * Writes a Node diagnostic report to `DATA_PATH/crash-reports/` (mode 0600) for CRASH_DEBUG.
 * Every environment section is left out, the main thread's and each worker thread's (the tsx loader
 * runs one), because they hold the API key and connection strings.
 * Returns the file written, or null when writing failed (the failure is logged).
 */
export function writeCrashReport(error: unknown, config: Pick<Config, 'dataPath'>, logger: Logger): string | null {
  try {
    const report = withoutEnvironment(process.report.getReport(error instanceof Error ? error : new Error(String(error))));
    const directory = path.join(config.dataPath, 'crash-reports');
    mkdirSync(directory, { recursive: true, mode: 0o700 });
    const stamp = new Date().toISOString().replace(/[:.]/g, '-');
    const file = path.join(directory, `report-${stamp}-${process.pid}.json`);
    writeFileSync(file, JSON.stringify(report, null, 2), { mode: 0o600 });
    logger.fatal({ file }, 'crash report written');
    return file;
  } catch (writeError) {
    logger.error({ err: writeError }, 'crash report could not be written');
    return null;
  }
}

function withoutEnvironment(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutEnvironment);
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value).filter(([key]) => key !== 'environmentVariables');
  return Object.fromEntries(entries.map(([key, child]) => [key, withoutEnvironment(child)]));
}
