import type { FastifyReply, FastifyRequest } from 'fastify';
import { describePrincipal } from '../../auth/index.js';

/** Aborts when the connection closes before the response finished, which interrupts the query. */
export function abortOnDisconnect(reply: FastifyReply): AbortSignal {
  const controller = new AbortController();
  reply.raw.on('close', () => {
    if (!reply.raw.writableFinished) controller.abort();
  });
  return controller.signal;
}

/** Names the caller for the governor's fairness and logs without revealing a key. */
export function principalLabel(request: FastifyRequest): string {
  return describePrincipal(request.principal).principal ?? 'anonymous';
}
