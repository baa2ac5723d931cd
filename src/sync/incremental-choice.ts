import type { TablePlan } from '../catalog/index.js';
import type { SourceTable } from '../source/index.js';
import type { DatabaseSyncOptions } from './types.js';
import { chooseWatermarkColumn } from './watermark.js';

/**
 * Watermark mode of a table. `timestamp` reads rows whose update-time column moved past the stored
 * watermark. `id` reads rows whose single integer key is above the greatest key seen, so it sees
 * inserts only. With `none`, every sync of the table is a full load.
 */
export type WatermarkChoice =
  | { mode: 'timestamp'; column: string; columnIndex: number }
  | { mode: 'id'; column: string; columnIndex: number }
  | { mode: 'none' };

const INTEGER_TYPES = new Set(['tinyint', 'smallint', 'mediumint', 'int', 'integer', 'bigint']);

/** A `sync.watermarkColumns` or `sync.appendOnlyTables` entry that cannot apply to its table. */
export class WatermarkSettingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WatermarkSettingError';
  }
}

/**
 * Chooses the table's watermark: the database's `sync.watermarkColumns` entry, then id mode for
 * `sync.appendOnlyTables`, else the first `WATERMARK_COLUMNS` candidate of type DATETIME or
 * TIMESTAMP. Throws `WatermarkSettingError` for a configured column that does not exist or
 * cannot be a watermark.
 */
export function chooseTableWatermark(
  table: SourceTable,
  plan: TablePlan,
  candidates: readonly string[],
  options: DatabaseSyncOptions | undefined,
): WatermarkChoice {
  const configured = options?.watermarkColumns?.[table.name];
  if (configured !== undefined) return configuredChoice(table, plan, configured);

  if (options?.appendOnlyTables?.includes(table.name)) {
    const key = singleIntegerKey(table, plan);
    if (key === null) {
      throw new WatermarkSettingError(
        `table ${table.name} is listed in sync.appendOnlyTables but its key (${describeKeyColumns(table)}) is not a single integer column; remove it from appendOnlyTables or name a DATETIME column in sync.watermarkColumns`,
      );
    }
    return { mode: 'id', column: key.column, columnIndex: key.columnIndex };
  }

  const index = chooseWatermarkColumn(plan, candidates);
  if (index === null) return { mode: 'none' };
  return { mode: 'timestamp', column: plan.columns[index]!.name, columnIndex: index };
}

function configuredChoice(table: SourceTable, plan: TablePlan, configured: string): WatermarkChoice {
  const columnIndex = plan.columns.findIndex((column) => column.name === configured);
  if (columnIndex < 0) {
    const names = plan.columns.map((column) => column.name).join(', ');
    throw new WatermarkSettingError(
      `watermark column "${configured}" configured for table ${table.name} in sync.watermarkColumns does not exist (columns: ${names}); correct or remove the entry`,
    );
  }
  const key = singleIntegerKey(table, plan);
  if (key !== null && key.columnIndex === columnIndex) return { mode: 'id', column: configured, columnIndex };

  if (plan.keyColumns.length === 0) {
    throw new WatermarkSettingError(
      `table ${table.name} has no primary key or NOT NULL unique key, so watermark column "${configured}" from sync.watermarkColumns cannot be used; add a key at the source or remove the entry`,
    );
  }
  if (!plan.columns[columnIndex]!.duckdbType.toUpperCase().startsWith('TIMESTAMP')) {
    throw new WatermarkSettingError(
      `watermark column "${configured}" of table ${table.name} has type ${plan.columns[columnIndex]!.sourceType}; a watermark must be DATETIME or TIMESTAMP, or the table's single integer key`,
    );
  }
  return { mode: 'timestamp', column: configured, columnIndex };
}

function singleIntegerKey(table: SourceTable, plan: TablePlan): { column: string; columnIndex: number } | null {
  if (plan.keyColumns.length !== 1) return null;
  const name = plan.keyColumns[0]!;
  const source = table.columns.find((column) => column.name === name);
  if (!source || !INTEGER_TYPES.has(source.dataType)) return null;
  return { column: name, columnIndex: plan.columns.findIndex((column) => column.name === name) };
}

function describeKeyColumns(table: SourceTable): string {
  return table.key.columns.length === 0 ? 'none' : table.key.columns.join(', ');
}
