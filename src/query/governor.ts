/**
 * The process-wide query governor: at most `maxConcurrent` queries run at once across databases
 * and protocols, up to `queueMax` more wait, and each query has one deadline covering its queue
 * wait and its execution.
 *
 * Fairness: one principal has at most ⌈maxConcurrent ÷ 2⌉ running slots, or its request's lower
 * `maxRunning` (its rate-limit tier's in-flight cap). Waiting queries are granted round-robin
 * across databases, and `high` priority (internal reads) goes first, except that after 5
 * consecutive high grants the oldest waiting normal query goes next.
 */
import { DucklingError } from '../errors/index.js';

/** Consecutive `high` grants after which the oldest `normal` query goes next. */
const HIGH_PRIORITY_BURST = 5;
/** Characters of SQL kept in `activeQueries`. */
const SQL_PREVIEW_LENGTH = 200;

export type QueryPriority = 'high' | 'normal';

export interface GovernorOptions {
  maxConcurrent: number;
  queueMax: number;
}

export interface SlotRequest {
  databaseId: string;
  principal: string;
  priority: QueryPriority;
  /** Queue wait plus execution in ms; 0 disables. */
  timeoutMs: number;
  /** Aborted when the client goes away; cancels the wait or the running query. */
  signal?: AbortSignal;
  sql: string;
  protocol: string;
  /** Running slots this principal may hold, when lower than ⌈maxConcurrent ÷ 2⌉: its tier's in-flight cap. */
  maxRunning?: number;
}

/** A granted slot. The holder must call `release` exactly once; later calls do nothing. */
export interface QuerySlot {
  readonly id: number;
  /**
   * Aborted on deadline, client abort or governor shutdown; `reason` is the error to throw
   * (504 `DUCKLING_QUERY_TIMEOUT`, the caller's abort reason, or 503 `DUCKLING_NOT_READY`).
   * The holder interrupts its DuckDB statement when it fires.
   */
  readonly signal: AbortSignal;
  /** Stops the deadline, for a stream whose first row has been produced. */
  clearDeadline(): void;
  release(): void;
}

export interface ActiveQuery {
  id: number;
  databaseId: string;
  principal: string;
  protocol: string;
  priority: QueryPriority;
  sql: string;
  startedAt: string;
  runningMs: number;
}

export interface GovernorStats {
  running: number;
  queued: number;
  maxConcurrent: number;
  maxQueue: number;
  timeoutMs: number;
  totalExecuted: number;
  totalTimedOut: number;
  totalRejected: number;
  activeQueries: ActiveQuery[];
}

interface Ticket {
  id: number;
  request: SlotRequest;
  controller: AbortController;
  timer: NodeJS.Timeout | null;
  detachClientSignal: () => void;
  startedAtMs: number;
  grant: (slot: QuerySlot) => void;
  reject: (error: unknown) => void;
}

export class QueryGovernor {
  private readonly waiting: Ticket[] = [];
  private readonly running = new Map<number, Ticket>();
  private readonly runningByPrincipal = new Map<string, number>();
  /** Databases in first-seen order, the ring of the round-robin. */
  private readonly databaseRing: string[] = [];
  private lastGrantedDatabase: string | null = null;
  private consecutiveHighGrants = 0;
  private nextId = 1;
  private shuttingDown = false;
  private totalExecuted = 0;
  private totalTimedOut = 0;
  private totalRejected = 0;

  constructor(
    private readonly options: GovernorOptions,
    /** Reported in `stats().timeoutMs`: the server's QUERY_TIMEOUT_MS. */
    private readonly defaultTimeoutMs: number,
  ) {}

  /** Running slots one principal may hold, unless its request gives a lower `maxRunning`. */
  get principalCap(): number {
    return Math.ceil(this.options.maxConcurrent / 2);
  }

  /**
   * Waits for a slot. Rejects with 503 `DUCKLING_QUERY_QUEUE_FULL` (header `Retry-After: 1`) when
   * the queue is full, and with the slot signal's reason when the deadline passes or the client
   * aborts while waiting.
   */
  acquire(request: SlotRequest): Promise<QuerySlot> {
    if (this.shuttingDown) return Promise.reject(shutdownError());
    if (request.signal?.aborted) return Promise.reject(request.signal.reason);

    return new Promise<QuerySlot>((resolve, reject) => {
      const ticket = this.createTicket(request, resolve, reject);
      if (!this.databaseRing.includes(request.databaseId)) this.databaseRing.push(request.databaseId);
      this.waiting.push(ticket);
      this.grantWaiting();
      if (this.waiting.includes(ticket) && this.waiting.length > this.options.queueMax) {
        this.removeWaiting(ticket);
        this.disarm(ticket);
        this.totalRejected += 1;
        reject(new DucklingError(
          'DUCKLING_QUERY_QUEUE_FULL',
          { queued: this.waiting.length, limit: this.options.queueMax },
          { headers: { 'Retry-After': '1' } },
        ));
      }
    });
  }

  stats(): GovernorStats {
    const now = Date.now();
    return {
      running: this.running.size,
      queued: this.waiting.length,
      maxConcurrent: this.options.maxConcurrent,
      maxQueue: this.options.queueMax,
      timeoutMs: this.defaultTimeoutMs,
      totalExecuted: this.totalExecuted,
      totalTimedOut: this.totalTimedOut,
      totalRejected: this.totalRejected,
      activeQueries: [...this.running.values()].map((ticket) => ({
        id: ticket.id,
        databaseId: ticket.request.databaseId,
        principal: ticket.request.principal,
        protocol: ticket.request.protocol,
        priority: ticket.request.priority,
        sql: ticket.request.sql.slice(0, SQL_PREVIEW_LENGTH),
        startedAt: new Date(ticket.startedAtMs).toISOString(),
        runningMs: now - ticket.startedAtMs,
      })),
    };
  }

  /** Rejects every waiting query and new ones with 503 and cancels the running ones. */
  shutdown(): void {
    this.shuttingDown = true;
    for (const ticket of [...this.waiting]) ticket.controller.abort(shutdownError());
    for (const ticket of [...this.running.values()]) ticket.controller.abort(shutdownError());
  }

  private createTicket(request: SlotRequest, grant: Ticket['grant'], reject: Ticket['reject']): Ticket {
    const controller = new AbortController();
    const ticket: Ticket = {
      id: this.nextId++,
      request,
      controller,
      timer: null,
      detachClientSignal: () => {},
      startedAtMs: 0,
      grant,
      reject,
    };

    if (request.timeoutMs > 0) {
      ticket.timer = setTimeout(() => {
        this.totalTimedOut += 1;
        controller.abort(new DucklingError('DUCKLING_QUERY_TIMEOUT', { timeoutMs: request.timeoutMs }));
      }, request.timeoutMs);
    }
    const clientSignal = request.signal;
    if (clientSignal) {
      const onClientAbort = (): void => controller.abort(clientSignal.reason);
      clientSignal.addEventListener('abort', onClientAbort, { once: true });
      ticket.detachClientSignal = () => clientSignal.removeEventListener('abort', onClientAbort);
    }

    // A cancelled waiter leaves the queue at once; a running one is cancelled by its holder.
    controller.signal.addEventListener('abort', () => {
      if (!this.removeWaiting(ticket)) return;
      this.disarm(ticket);
      reject(controller.signal.reason);
    }, { once: true });
    return ticket;
  }

  private grantWaiting(): void {
    while (this.running.size < this.options.maxConcurrent) {
      const ticket = this.pickNext();
      if (!ticket) return;
      this.removeWaiting(ticket);
      this.start(ticket);
    }
  }

  private start(ticket: Ticket): void {
    const { principal, databaseId } = ticket.request;
    ticket.startedAtMs = Date.now();
    this.running.set(ticket.id, ticket);
    this.runningByPrincipal.set(principal, (this.runningByPrincipal.get(principal) ?? 0) + 1);
    this.lastGrantedDatabase = databaseId;

    let released = false;
    ticket.grant({
      id: ticket.id,
      signal: ticket.controller.signal,
      clearDeadline: () => this.clearTimer(ticket),
      release: () => {
        if (released) return;
        released = true;
        this.finish(ticket);
      },
    });
  }

  private finish(ticket: Ticket): void {
    this.disarm(ticket);
    this.running.delete(ticket.id);
    const principal = ticket.request.principal;
    const held = (this.runningByPrincipal.get(principal) ?? 1) - 1;
    if (held > 0) this.runningByPrincipal.set(principal, held);
    else this.runningByPrincipal.delete(principal);
    this.totalExecuted += 1;
    this.grantWaiting();
  }

  /** The next waiting query to start, or null when none may start now. */
  private pickNext(): Ticket | null {
    const eligible = this.waiting.filter((ticket) => {
      const cap = Math.min(this.principalCap, ticket.request.maxRunning ?? Number.POSITIVE_INFINITY);
      return (this.runningByPrincipal.get(ticket.request.principal) ?? 0) < cap;
    });
    if (eligible.length === 0) return null;

    const high = eligible.filter((ticket) => ticket.request.priority === 'high');
    const normal = eligible.filter((ticket) => ticket.request.priority !== 'high');
    if (high.length > 0 && (this.consecutiveHighGrants < HIGH_PRIORITY_BURST || normal.length === 0)) {
      this.consecutiveHighGrants += 1;
      return this.nextInRoundRobin(high);
    }
    const afterBurst = this.consecutiveHighGrants >= HIGH_PRIORITY_BURST;
    this.consecutiveHighGrants = 0;
    // `waiting` is in arrival order, so the first normal ticket is the oldest.
    return afterBurst ? normal[0]! : this.nextInRoundRobin(normal);
  }

  /** The oldest ticket of the first database after the last granted one, in ring order. */
  private nextInRoundRobin(candidates: Ticket[]): Ticket {
    const ring = this.databaseRing;
    const lastIndex = this.lastGrantedDatabase === null ? -1 : ring.indexOf(this.lastGrantedDatabase);
    for (let step = 1; step <= ring.length; step += 1) {
      const databaseId = ring[(lastIndex + step) % ring.length];
      const ticket = candidates.find((candidate) => candidate.request.databaseId === databaseId);
      if (ticket) return ticket;
    }
    return candidates[0]!;
  }

  private removeWaiting(ticket: Ticket): boolean {
    const index = this.waiting.indexOf(ticket);
    if (index === -1) return false;
    this.waiting.splice(index, 1);
    return true;
  }

  private clearTimer(ticket: Ticket): void {
    if (ticket.timer) clearTimeout(ticket.timer);
    ticket.timer = null;
  }

  private disarm(ticket: Ticket): void {
    this.clearTimer(ticket);
    ticket.detachClientSignal();
  }
}

function shutdownError(): DucklingError {
  return new DucklingError('DUCKLING_NOT_READY', { detail: 'the server is shutting down; retry against the restarted server' });
}
