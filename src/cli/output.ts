/**
 * Everything the CLI prints goes through `Output`, so `--json`, `--no-color` and the TTY check are
 * decided once. Results go to standard output; progress, warnings and errors to standard error.
 */
export interface OutputOptions {
  json: boolean;
  color: boolean;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

export type Alignment = 'left' | 'right';

const ANSI = { bold: '1', dim: '2', red: '31', green: '32', yellow: '33' } as const;

/** Maximum cell width in a printed table; longer values end in an ellipsis, and raw formats show them whole. */
const MAX_CELL_LENGTH = 80;

export class Output {
  readonly json: boolean;
  readonly color: boolean;
  readonly stdout: NodeJS.WriteStream;
  readonly stderr: NodeJS.WriteStream;

  constructor(options: OutputOptions) {
    this.json = options.json;
    this.stdout = options.stdout ?? process.stdout;
    this.stderr = options.stderr ?? process.stderr;
    // NO_COLOR (https://no-color.org) disables color when set to any non-empty value.
    const noColorEnv = (process.env.NO_COLOR ?? '') !== '';
    this.color = options.color && !noColorEnv && Boolean(this.stdout.isTTY);
  }

  /** True when standard error is a terminal, so progress bars can redraw in place. */
  get interactive(): boolean {
    return Boolean(this.stderr.isTTY) && !this.json;
  }

  line(text = ''): void {
    this.stdout.write(`${text}\n`);
  }

  /** Writes one value as a single JSON line on standard output. */
  jsonLine(value: unknown): void {
    this.stdout.write(`${JSON.stringify(value)}\n`);
  }

  /** Writes a note or warning on standard error. */
  note(text: string): void {
    this.stderr.write(`${text}\n`);
  }

  error(text: string): void {
    this.stderr.write(`${this.paint('red', 'error:')} ${text}\n`);
  }

  bold(text: string): string {
    return this.paint('bold', text);
  }

  dim(text: string): string {
    return this.paint('dim', text);
  }

  red(text: string): string {
    return this.paint('red', text);
  }

  green(text: string): string {
    return this.paint('green', text);
  }

  yellow(text: string): string {
    return this.paint('yellow', text);
  }

  /** Prints an aligned text table with a header row; colors are applied after padding. */
  table(headers: string[], rows: string[][], align: Alignment[] = []): void {
    for (const line of formatTable(headers, rows, align)) {
      this.line(line.isHeader ? this.bold(line.text) : line.text);
    }
  }

  private paint(style: keyof typeof ANSI, text: string): string {
    if (!this.color) return text;
    return `\u001b[${ANSI[style]}m${text}\u001b[0m`;
  }
}

/** Lays out a table as lines of text: header, a rule, then the rows, columns separated by two spaces. */
export function formatTable(headers: string[], rows: string[][], align: Alignment[] = []): Array<{ text: string; isHeader: boolean }> {
  const cells = rows.map((row) => row.map(clipCell));
  const widths = headers.map((header, column) =>
    Math.max(header.length, ...cells.map((row) => visibleLength(row[column] ?? ''))),
  );
  const render = (row: string[]) =>
    widths
      .map((width, column) => {
        const text = row[column] ?? '';
        const padding = ' '.repeat(Math.max(0, width - visibleLength(text)));
        return align[column] === 'right' ? padding + text : text + padding;
      })
      .join('  ')
      .trimEnd();

  return [
    { text: render(headers), isHeader: true },
    { text: widths.map((width) => '-'.repeat(width)).join('  '), isHeader: false },
    ...cells.map((row) => ({ text: render(row), isHeader: false })),
  ];
}

const ANSI_SEQUENCE = /\u001b\[[0-9;]*m/g;

/** Length of a cell as the terminal shows it, without color sequences. */
function visibleLength(text: string): number {
  return text.replace(ANSI_SEQUENCE, '').length;
}

/** Escapes control characters so a cell stays on one line, and clips long values. */
function clipCell(text: string): string {
  const escaped = text.replace(/\r/g, '\\r').replace(/\n/g, '\\n').replace(/\t/g, '\\t');
  if (visibleLength(escaped) <= MAX_CELL_LENGTH) return escaped;
  return `${escaped.slice(0, MAX_CELL_LENGTH - 1)}…`;
}

/** Formats a duration in milliseconds as `850 ms`, `12.3 s` or `4m 05s`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const totalSeconds = Math.round(ms / 1000);
  const hours = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = String(totalSeconds % 60).padStart(2, '0');
  return hours > 0 ? `${hours}h ${String(minutes).padStart(2, '0')}m` : `${minutes}m ${seconds}s`;
}

/** Formats a count with thousands separators (`1,234,567`). */
export function formatCount(value: number | string | null | undefined): string {
  if (value === null || value === undefined || value === '') return '-';
  const number = Number(value);
  if (!Number.isFinite(number)) return String(value);
  return number.toLocaleString('en-US');
}

/** Formats a byte count in binary units (`512 B`, `1.5 MiB`); `-` for null. */
export function formatBytes(bytes: number | null): string {
  if (bytes === null) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}
