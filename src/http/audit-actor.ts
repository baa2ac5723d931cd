import type { FastifyRequest } from 'fastify';
import type { AuditActor, AuditContext } from '../audit/index.js';
import { ANONYMOUS, describePrincipal, type Principal } from '../auth/index.js';

/** Returns the audit actor of a request: its principal and client address. */
export function auditActor(request: FastifyRequest): AuditActor {
  // Null when the request failed before the auth hook ran.
  const principal = (request.principal as Principal | null) ?? ANONYMOUS;
  return { ...describePrincipal(principal), ip: request.ip };
}

/** Returns the audit context of a request: its actor and id, with the client address scoping the audit throttle. */
export function requestAuditContext(request: FastifyRequest): AuditContext {
  return { actor: auditActor(request), requestId: request.id, throttleKey: request.ip };
}
