import cliProgress from 'cli-progress';
import type { SyncProgress, TableProgress } from '../client/index.js';
import { formatCount, formatDuration } from './output.js';

/** Shows the progress of a sync run as the server reports it. */
export interface ProgressRenderer {
  update(progress: SyncProgress): void;
  /** Draws the final state of a finished run; JSON lines leave it to the summary. */
  finish(progress: SyncProgress): void;
  /** Releases the terminal. */
  stop(): void;
}

/** Writes each progress message as one JSON line, for scripts and logs. */
export class JsonLinesRenderer implements ProgressRenderer {
  constructor(private readonly stream: NodeJS.WritableStream) {}

  update(progress: SyncProgress): void {
    this.stream.write(`${JSON.stringify({ type: 'progress', progress })}\n`);
  }

  finish(): void {}

  stop(): void {}
}

type BarPayload = { label: string; detail: string };

/**
 * One terminal bar for the run's tables and one per table: rows done of the estimate, rows per
 * second and the time left at that rate. The estimate comes from `information_schema.TABLES` and
 * can be low, so a bar's total grows to the rows done.
 */
export class BarRenderer implements ProgressRenderer {
  private readonly multiBar: cliProgress.MultiBar;
  private readonly runBar: cliProgress.SingleBar;
  private readonly tableBars = new Map<string, cliProgress.SingleBar>();
  private labelWidth = 6;

  constructor(stream: NodeJS.WriteStream, color: boolean) {
    this.multiBar = new cliProgress.MultiBar(
      {
        stream,
        format: '{label} {bar} {detail}',
        barsize: 30,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        autopadding: true,
        barCompleteChar: color ? '\u2588' : '#',
        barIncompleteChar: color ? '\u2591' : '-',
      },
      cliProgress.Presets.shades_classic,
    );
    this.runBar = this.multiBar.create(1, 0, { label: 'tables', detail: '' } satisfies BarPayload);
  }

  update(progress: SyncProgress): void {
    this.labelWidth = Math.max(this.labelWidth, ...progress.tables.map((table) => table.table.length));
    const total = Math.max(progress.tablesTotal, 1);
    this.runBar.setTotal(total);
    this.runBar.update(progress.tablesCompleted, {
      label: 'tables'.padEnd(this.labelWidth),
      detail: `${progress.tablesCompleted}/${progress.tablesTotal} tables | ${formatCount(progress.recordsProcessed)} rows`,
    } satisfies BarPayload);

    for (const table of progress.tables) this.updateTable(table);
  }

  finish(progress: SyncProgress): void {
    this.update(progress);
  }

  stop(): void {
    this.multiBar.stop();
  }

  private updateTable(table: TableProgress): void {
    let bar = this.tableBars.get(table.table);
    if (!bar) {
      bar = this.multiBar.create(1, 0, { label: table.table, detail: '' } satisfies BarPayload);
      this.tableBars.set(table.table, bar);
    }
    const total = Math.max(table.rowsEstimated, table.rowsDone, 1);
    // A finished table fills its bar even when the estimate was high.
    const finished = table.phase === 'done' || table.phase === 'skipped';
    bar.setTotal(finished ? Math.max(table.rowsDone, 1) : total);
    bar.update(finished ? Math.max(table.rowsDone, 1) : table.rowsDone, {
      label: table.table.padEnd(this.labelWidth),
      detail: tableDetail(table, total),
    } satisfies BarPayload);
  }
}

function tableDetail(table: TableProgress, total: number): string {
  const rows = `${formatCount(table.rowsDone)}/${formatCount(table.rowsEstimated)} rows`;
  if (table.phase !== 'loading') return `${rows} | ${table.phase}`;

  const rate = `${formatCount(table.rowsPerSecond)} rows/s`;
  const secondsLeft = Math.max(0, total - table.rowsDone) / table.rowsPerSecond;
  const eta = table.rowsPerSecond > 0 ? formatEta(secondsLeft) : '-';
  return `${rows} | ${rate} | ETA ${eta}`;
}

function formatEta(seconds: number): string {
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  return formatDuration(seconds * 1000);
}
