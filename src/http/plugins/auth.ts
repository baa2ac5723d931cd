import type { FastifyInstance, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import {
  ANONYMOUS,
  findUrlCredentialParameters,
  readAuthorizationCredential,
  type ApiKeyVerifier,
  type Principal,
} from '../../auth/index.js';
import { DucklingError } from '../../errors/index.js';
import type { AuthRule } from '../fastify-types.js';

export interface AuthPluginOptions {
  verifier: ApiKeyVerifier;
}

const INVALID_TOKEN_CHALLENGE = { 'WWW-Authenticate': 'Bearer error="invalid_token"' };

/**
 * Authenticates every request in `onRequest`, before its body is read, and enforces the rule the
 * route declares in `config.auth`; a route that declares none is treated as `admin`. The resulting
 * principal is on `request.principal`. Credentials in the URL are rejected on every route.
 */
export const authPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: AuthPluginOptions) => {
    app.decorateRequest('principal', null as never);

    app.addHook('onRequest', async (request) => {
      request.principal = ANONYMOUS;
      if (request.is404) return;

      const inUrl = findUrlCredentialParameters(request.query);
      if (inUrl.length > 0) {
        throw new DucklingError('DUCKLING_AUTH_CREDENTIALS_IN_URL', { parameters: inUrl.join(', ') });
      }

      const rule: AuthRule = request.routeOptions.config?.auth ?? 'admin';
      request.principal = authenticate(request, rule, options.verifier);
    });
  },
  { name: 'duckling-auth' },
);

function authenticate(request: FastifyRequest, rule: AuthRule, verifier: ApiKeyVerifier): Principal {
  const credential = readAuthorizationCredential(request.headers.authorization);

  // Public routes serve anyone; a valid key still identifies the caller (the admin /health body).
  if (rule === 'public') {
    if (credential === null || !verifier.configured) return ANONYMOUS;
    return verifier.verify(credential) ?? ANONYMOUS;
  }

  if (!verifier.configured) {
    throw new DucklingError('DUCKLING_AUTH_REQUIRED', {
      detail: 'this server has no API key configured; set DUCKLING_API_KEY (`duckling init` writes one) and restart, then send "Authorization: Bearer <key>"',
    });
  }
  if (credential === null) {
    throw new DucklingError('DUCKLING_AUTH_REQUIRED', { detail: 'send "Authorization: Bearer <DUCKLING_API_KEY>"' });
  }
  const principal = verifier.verify(credential);
  if (!principal) {
    throw new DucklingError(
      'DUCKLING_AUTH_INVALID',
      { detail: 'the API key matches neither DUCKLING_API_KEY nor DUCKLING_API_KEY_PREVIOUS; check the key you send' },
      { headers: INVALID_TOKEN_CHALLENGE },
    );
  }
  return principal;
}
