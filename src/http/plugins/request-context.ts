import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { ANONYMOUS, describePrincipal, type Principal } from '../../auth/index.js';

const REQUEST_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** Keeps the client's `X-Request-Id` when it is safe to log and echo, else makes a new one. */
export function generateRequestId(request: IncomingMessage): string {
  const header = request.headers['x-request-id'];
  if (typeof header === 'string' && REQUEST_ID_PATTERN.test(header)) return header;
  return randomUUID();
}

/**
 * Echoes the request id and logs one line per finished request, with the database and principal.
 * Fastify's own request logging is off in favour of this line.
 */
export const requestContextPlugin = fastifyPlugin(
  async (app: FastifyInstance) => {
    app.addHook('onRequest', async (request, reply) => {
      reply.header('x-request-id', request.id);
    });

    app.addHook('onResponse', async (request, reply) => {
      // Null when the request failed before the auth hook ran (for example an unparsable URL).
      const principal = (request.principal as Principal | null) ?? ANONYMOUS;
      request.log.info(
        {
          method: request.method,
          route: request.routeOptions.url ?? null,
          statusCode: reply.statusCode,
          responseTime: Math.round(reply.elapsedTime),
          ip: request.ip,
          db: request.database?.id ?? null,
          tier: principal.tier,
          principal: describePrincipal(principal).principal,
          category: request.routeOptions.config?.category ?? null,
        },
        'request completed',
      );
    });
  },
  { name: 'duckling-request-context' },
);
