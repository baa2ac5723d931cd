import type { FastifyInstance } from 'fastify';
import fastifyPlugin from 'fastify-plugin';

/**
 * Replaces Fastify's `application/json` parser with one that reads an empty or all-whitespace
 * body as `{}`. Clients and curl helpers often send `Content-Type: application/json` on every
 * request, and Fastify would reject such a body with FST_ERR_CTP_EMPTY_JSON_BODY. Any other text
 * goes to Fastify's own parser, which rejects `__proto__` and `constructor.prototype` keys.
 */
export const jsonBodyPlugin = fastifyPlugin(
  async (app: FastifyInstance) => {
    const parseJson = app.getDefaultJsonParser('error', 'error');
    app.removeContentTypeParser('application/json');
    app.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
      const text = body.toString();
      if (text.trim() === '') {
        done(null, {});
        return;
      }
      parseJson(request, text, done);
    });
  },
  { name: 'duckling-json-body' },
);
