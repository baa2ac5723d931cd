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
  /** Row of the greatest pair seen by this tracker; its mark is built when read, not per row. */
  private row: readonly unknown[] | null = null;
  private value: string | null;

  constructor(
    private readonly columnIndex: number,
    private readonly keyIndexes: readonly number[],
    private readonly initial: WatermarkMark | null,
  ) {
    this.value = initial?.value ?? null;
  }

  observe(row: readonly unknown[]): void {
    const raw = row[this.columnIndex];
    if (raw === null || raw === undefined) return;
    const value = typeof raw === 'string' ? raw : String(raw);
    if (this.value !== null && value < this.value) return;
    this.value = value;
    this.row = row;
  }

  get mark(): WatermarkMark | null {
    const row = this.row;
    if (row === null || this.value === null) return this.initial;
    return { value: this.value, key: this.keyIndexes.map((index) => row[index]) };
  }
}
