import type { FastifyRequest } from 'fastify';
import type { AuditActor } from '../audit/index.js';
import { ANONYMOUS, describePrincipal, type Principal } from '../auth/index.js';

/** The audit actor of a request: its principal and client address. */
export function auditActor(request: FastifyRequest): AuditActor {
  // Null when the request failed before the auth hook ran.
  const principal = (request.principal as Principal | null) ?? ANONYMOUS;
  return { ...describePrincipal(principal), ip: request.ip };
}
