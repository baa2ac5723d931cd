import type { TablePlan } from '../catalog/index.js';
import type { WatermarkMark } from './sessions.js';

/**
 * Picks the watermark column: the first `WATERMARK_COLUMNS` candidate (case-insensitive, in
 * priority order) whose source type is DATETIME or TIMESTAMP. The catalog maps exactly those two
 * source types to DuckDB's TIMESTAMP family, so the planned type decides. Keyless tables get none
 * because an incremental merge needs a key.
 */
export function chooseWatermarkColumn(plan: TablePlan, candidates: readonly string[]): number | null {
  if (plan.keyColumns.length === 0) return null;
  for (const candidate of candidates) {
    const expected = candidate.toLowerCase();
    const index = plan.columns.findIndex(
      (column) => column.name.toLowerCase() === expected && column.duckdbType.toUpperCase().startsWith('TIMESTAMP'),
    );
    if (index >= 0) return index;
  }
  return null;
}

/**
 * Tracks the greatest `(watermark value, key)` pair over rows read in key order. Values are the
 * source's fixed-width `YYYY-MM-DD HH:MM:SS[.f]` text, so text order is time order. Among equal
 * values the row read last has the greatest key.
 */
export class WatermarkTracker {
  constructor(
    private readonly columnIndex: number,
    private readonly keyIndexes: readonly number[],
    private current: WatermarkMark | null,
  ) {}

  observe(row: readonly unknown[]): void {
    const raw = row[this.columnIndex];
    if (raw === null || raw === undefined) return;
    const value = String(raw);
    if (this.current !== null && value < this.current.value) return;
    this.current = { value, key: this.keyIndexes.map((index) => row[index]) };
  }

  get mark(): WatermarkMark | null {
    return this.current;
  }
}
