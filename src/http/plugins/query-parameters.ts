import type { FastifyInstance, FastifyRequest, RouteOptions } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { DucklingError } from '../../errors/index.js';

/**
 * Rejects query parameters that a route's querystring schema does not name, with 400
 * `DUCKLING_VALIDATION_FAILED` naming each one and the accepted names. Without this check a
 * misspelled option such as `?deleteFile=true` on `DELETE /api/databases/:id` is silently ignored.
 * Routes without a querystring schema are left alone. `db` on database-scoped routes and `ticket`
 * on ticket routes are always accepted. The check runs before schema validation, but after the
 * auth plugin's `onRequest` hook, so credentials in the URL still get their own error first.
 */
export const queryParametersPlugin = fastifyPlugin(
  async (app: FastifyInstance) => {
    app.addHook('onRoute', (route) => {
      const accepted = acceptedParameters(route);
      if (accepted === null) return;

      const routeName = `${[route.method].flat().join('|')} ${route.url}`;
      const check = async (request: FastifyRequest): Promise<void> => rejectUnknownParameters(request.query, accepted, routeName);
      const existing = route.preValidation;
      route.preValidation = existing === undefined ? [check] : [check, ...[existing].flat()];
    });
  },
  { name: 'duckling-query-parameters' },
);

/** Returns the query parameter names a route accepts, or null when its schema does not list them. */
function acceptedParameters(route: RouteOptions): string[] | null {
  // Health probes of load balancers and monitors often add cache-busting parameters; public
  // routes change nothing, so an unknown parameter there is harmless and kept.
  if (route.config?.auth === 'public') return null;
  const schema = route.schema?.querystring as { type?: unknown; properties?: Record<string, unknown>; additionalProperties?: unknown } | undefined;
  if (!schema || schema.type !== 'object' || !schema.properties) return null;
  // A schema that allows other properties on purpose keeps them.
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) return null;

  const accepted = new Set(Object.keys(schema.properties));
  if (route.config?.databaseScoped) accepted.add('db');
  if (route.config?.ticket !== undefined) accepted.add('ticket');
  return [...accepted];
}

function rejectUnknownParameters(query: unknown, accepted: readonly string[], routeName: string): void {
  if (typeof query !== 'object' || query === null) return;
  const unknown = Object.keys(query).filter((name) => !accepted.includes(name));
  if (unknown.length === 0) return;

  const takes = accepted.length === 0 ? 'takes no query parameters' : `takes only ${accepted.join(', ')}`;
  const message = `is not a known parameter; ${routeName} ${takes}`;
  const fields = unknown.map((name) => `querystring.${name}`);
  throw new DucklingError(
    'DUCKLING_VALIDATION_FAILED',
    { detail: `${fields.join(', ')} ${unknown.length === 1 ? 'is not a known parameter' : 'are not known parameters'}; ${routeName} ${takes}` },
    { extra: { details: fields.map((field) => ({ field, message })) } },
  );
}
