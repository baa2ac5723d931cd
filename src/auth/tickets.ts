import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { DucklingError, errorMessage } from '../errors/index.js';
import { sha256 } from './digest.js';
import type { Principal } from './principal.js';

/** `sse` tickets open event streams, `ws` tickets WebSocket upgrades; neither works for the other. */
export type TicketPurpose = 'sse' | 'ws';
export const TICKET_PURPOSES: readonly TicketPurpose[] = ['sse', 'ws'];
export const TICKET_LIFETIME_MS = 60_000;
const TICKET_BYTES = 32;

/** Grant of a ticket: the principal that requested it, for one purpose and one database. */
export interface TicketGrant {
  principal: Principal;
  purpose: TicketPurpose;
  db: string;
  expiresAt: Date;
}

/**
 * Keeps issued tickets until they expire. `take` returns and deletes a ticket in one step, so two
 * requests with the same ticket cannot both get it. Store failures throw `DUCKLING_STORE_UNAVAILABLE`.
 */
export interface TicketStore {
  put(id: string, grant: string, ttlMs: number): Promise<void>;
  take(id: string): Promise<string | null>;
}

/**
 * Issues and redeems the single-use tickets that browsers put in `?ticket=`, because `EventSource`
 * and `WebSocket` cannot send an `Authorization` header. A ticket is 32 random bytes in base64url;
 * the store keeps only its SHA-256, so a copy of the store contains no usable ticket.
 */
export class Tickets {
  constructor(
    private readonly store: TicketStore,
    private readonly now: () => number = Date.now,
  ) {}

  async issue(principal: Principal, purpose: TicketPurpose, db: string): Promise<{ ticket: string; expiresAt: Date }> {
    const ticket = randomBytes(TICKET_BYTES).toString('base64url');
    const expiresAt = new Date(this.now() + TICKET_LIFETIME_MS);
    const grant: TicketGrant = { principal, purpose, db, expiresAt };
    await this.store.put(ticketId(ticket), JSON.stringify(grant), TICKET_LIFETIME_MS);
    return { ticket, expiresAt };
  }

  /** Returns the grant of an unused, unexpired ticket and uses it up; null for any other text. */
  async redeem(ticket: string): Promise<TicketGrant | null> {
    const stored = await this.store.take(ticketId(ticket));
    if (stored === null) return null;
    const grant = reviveGrant(stored);
    return grant.expiresAt.getTime() > this.now() ? grant : null;
  }
}

/** Tickets of a single instance. Expired ones are swept whenever a ticket is issued. */
export class MemoryTicketStore implements TicketStore {
  private readonly entries = new Map<string, { grant: string; expiresAtMs: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  async put(id: string, grant: string, ttlMs: number): Promise<void> {
    const nowMs = this.now();
    for (const [key, entry] of this.entries) if (entry.expiresAtMs <= nowMs) this.entries.delete(key);
    this.entries.set(id, { grant, expiresAtMs: nowMs + ttlMs });
  }

  async take(id: string): Promise<string | null> {
    const entry = this.entries.get(id);
    this.entries.delete(id);
    if (!entry || entry.expiresAtMs <= this.now()) return null;
    return entry.grant;
  }
}

/** Tickets shared by every instance: one Redis key per ticket, expiring with it, read and deleted by GETDEL. */
export class RedisTicketStore implements TicketStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async put(id: string, grant: string, ttlMs: number): Promise<void> {
    await this.call(() => this.redis.set(this.key(id), grant, 'PX', ttlMs));
  }

  async take(id: string): Promise<string | null> {
    return this.call(() => this.redis.getdel(this.key(id)));
  }

  private key(id: string): string {
    return `${this.keyPrefix}ticket:${id}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new DucklingError('DUCKLING_STORE_UNAVAILABLE', { store: 'ticket store (Redis)', detail: errorMessage(error) }, { cause: error });
    }
  }
}

function ticketId(ticket: string): string {
  return sha256(ticket).toString('hex');
}

/** Parses a stored grant, turning the ISO dates JSON made of `Date` fields back into dates. */
function reviveGrant(text: string): TicketGrant {
  const grant = JSON.parse(text, (key, value: unknown) =>
    key === 'expiresAt' && typeof value === 'string' ? new Date(value) : value,
  ) as TicketGrant;
  return grant;
}
