import type { ProgressRunType, SyncProgress, TablePhase, TableProgress } from './types.js';

type Listener = (databaseId: string, progress: SyncProgress) => void;

interface TableState extends TableProgress {
  /** Rows and time at the start of the current phase, for rows per second. */
  startedAtMs: number;
  startRows: number;
}

interface RunState {
  runId: string;
  type: ProgressRunType;
  startedAt: string;
  lastError: string | null;
  finished: boolean;
  tables: Map<string, TableState>;
}

const IDLE: SyncProgress = Object.freeze({
  inProgress: false,
  runId: null,
  type: null,
  tablesCompleted: 0,
  tablesTotal: 0,
  currentTable: null,
  currentTables: [],
  recordsProcessed: 0,
  startedAt: null,
  lastError: null,
  tables: [],
}) as SyncProgress;

const FINISHED: ReadonlySet<TablePhase> = new Set(['done', 'error', 'skipped']);

/** Progress of the running sync of each database, with change listeners. */
export class ProgressBoard {
  private readonly runs = new Map<string, RunState>();
  private readonly listeners = new Set<Listener>();

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  begin(databaseId: string, runId: string, type: ProgressRunType): void {
    this.runs.set(databaseId, { runId, type, startedAt: new Date().toISOString(), lastError: null, finished: false, tables: new Map() });
    this.emit(databaseId);
  }

  /** Sets the tables a run will process, each `pending`. */
  plan(databaseId: string, tables: ReadonlyArray<{ name: string; estimatedRows: number }>): void {
    const run = this.runs.get(databaseId);
    if (!run) return;
    for (const table of tables) {
      run.tables.set(table.name, {
        table: table.name,
        phase: 'pending',
        rowsDone: 0,
        rowsEstimated: Math.max(0, Math.round(table.estimatedRows)),
        rowsPerSecond: 0,
        startedAtMs: Date.now(),
        startRows: 0,
      });
    }
    this.emit(databaseId);
  }

  phase(databaseId: string, table: string, phase: TablePhase, error?: string): void {
    const state = this.runs.get(databaseId)?.tables.get(table);
    if (!state) return;
    if (phase === 'loading' && state.phase !== 'loading') {
      state.startedAtMs = Date.now();
      state.startRows = state.rowsDone;
    }
    state.phase = phase;
    if (phase === 'error' && error) this.runs.get(databaseId)!.lastError = `${table}: ${error}`;
    this.emit(databaseId);
  }

  rows(databaseId: string, table: string, rowsDone: number): void {
    const state = this.runs.get(databaseId)?.tables.get(table);
    if (!state) return;
    state.rowsDone = rowsDone;
    const seconds = (Date.now() - state.startedAtMs) / 1000;
    state.rowsPerSecond = seconds > 0 ? Math.round((rowsDone - state.startRows) / seconds) : 0;
    this.emit(databaseId);
  }

  /** Marks the run finished. Its last state stays readable with `inProgress: false` until the next run begins. */
  end(databaseId: string, runId: string): void {
    const run = this.runs.get(databaseId);
    if (run?.runId !== runId) return;
    run.finished = true;
    this.emit(databaseId);
  }


  snapshot(databaseId: string): SyncProgress {
    const run = this.runs.get(databaseId);
    if (!run) return { ...IDLE, currentTables: [], tables: [] };
    const tables = [...run.tables.values()];
    const current = run.finished ? [] : tables.filter((table) => table.phase === 'loading' || table.phase === 'swapping').map((table) => table.table);
    return {
      inProgress: !run.finished,
      runId: run.runId,
      type: run.type,
      tablesCompleted: tables.filter((table) => FINISHED.has(table.phase)).length,
      tablesTotal: tables.length,
      currentTable: current[0] ?? null,
      currentTables: current,
      recordsProcessed: tables.reduce((sum, table) => sum + table.rowsDone, 0),
      startedAt: run.startedAt,
      lastError: run.lastError,
      tables: tables.map(({ table, phase, rowsDone, rowsEstimated, rowsPerSecond }) => ({
        table,
        phase,
        rowsDone,
        rowsEstimated,
        rowsPerSecond,
      })),
    };
  }

  private emit(databaseId: string): void {
    if (this.listeners.size === 0) return;
    const progress = this.snapshot(databaseId);
    for (const listener of this.listeners) listener(databaseId, progress);
  }
}
