import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { forwardedHeaderIgnoredFinding, type SecurityFindings } from '../../security/index.js';

export interface ForwardedHeaderOptions {
  security: SecurityFindings;
}

/**
 * With `TRUST_PROXY=false`, raises the `forwarded_header_ignored` finding the first time a request
 * carries `X-Forwarded-For`: Duckling probably runs behind a proxy it does not trust, so every
 * client shares the proxy's address. Register it only when `TRUST_PROXY=false`.
 */
export const forwardedHeaderPlugin = fastifyPlugin(
  async (app: FastifyInstance, options: ForwardedHeaderOptions) => {
    let raised = false;
    app.addHook('onRequest', async (request) => {
      if (raised || request.headers['x-forwarded-for'] === undefined) return;
      raised = true;
      options.security.raise(forwardedHeaderIgnoredFinding());
    });
  },
  { name: 'duckling-forwarded-header' },
);
