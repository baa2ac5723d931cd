import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import fastifyCookie from '@fastify/cookie';
import type { TrustProxy } from '../config/index.js';
import { DucklingError } from '../errors/index.js';
import './fastify-types.js';
import { authPlugin } from './plugins/auth.js';
import { corsPlugin } from './plugins/cors.js';
import { dbContextPlugin } from './plugins/db-context.js';
import { errorHandlerPlugin } from './plugins/error-handler.js';
import { forwardedHeaderPlugin } from './plugins/forwarded-header.js';
import { jsonBodyPlugin } from './plugins/json-body.js';
import { rateLimitPlugin } from './plugins/rate-limit.js';
import { queryParametersPlugin } from './plugins/query-parameters.js';
import { generateRequestId, requestContextPlugin } from './plugins/request-context.js';
import { securityHeadersPlugin } from './plugins/security-headers.js';
import { auditRoutes } from './routes/audit.js';
import { scopePlugin } from './plugins/scope.js';
import { loginRoutes, sessionRoutes } from './routes/auth.js';
import { ticketRoutes } from './routes/auth-tickets.js';
import { keyRoutes } from './routes/keys.js';
import { automationRoutes } from './routes/automation.js';
import { backupAutomationRoutes, backupRoutes } from './routes/backups.js';
import { databaseRoutes } from './routes/databases.js';
import { diagnoseRoutes } from './routes/diagnose.js';
import { healthRoutes } from './routes/health.js';
import { queryRoutes } from './routes/query.js';
import { s3BackupRoutes } from './routes/s3-backups.js';
import { s3SettingsRoutes } from './routes/s3-settings.js';
import { securityRoutes } from './routes/security.js';
import { SseHub } from './routes/sse.js';
import { syncLogRoutes, syncRoutes } from './routes/sync.js';
import { tableRoutes } from './routes/tables.js';
import { validationRoutes } from './routes/validation.js';
import type { HttpDependencies } from './services.js';

/** Request bodies are JSON up to 10 MiB; larger ones get 413. */
export const BODY_LIMIT_BYTES = 10 * 1024 * 1024;
/** The whole request must arrive within 30 s. */
const REQUEST_TIMEOUT_MS = 30_000;
/** Request headers must arrive within 10 s. */
const HEADERS_TIMEOUT_MS = 10_000;
/** Idle keep-alive connections close after 72 s, longer than the 60 s idle timeout of common proxies. */
const KEEP_ALIVE_TIMEOUT_MS = 72_000;
/**
 * Longest path parameter, URL-encoded. A table name has up to 128 characters, and each encodes to
 * at most 12 (4 UTF-8 bytes as %XX), so every valid name fits and a longer one reaches the route's
 * 400 DUCKLING_INVALID_IDENTIFIER. Fastify returns 414 above this length.
 */
const MAX_PARAM_LENGTH = 128 * 12;

/** Root aliases: `/sync/*`, `/automation/*`, `/tables`, `/tables/*`, `/query` and `/login` serve the `/api` handlers. */
const ALIAS_PREFIXES = ['/api', ''] as const;

/** Builds the Fastify app with every plugin and route; the caller listens and closes it. */
export async function createHttpServer(deps: HttpDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.logger.child({ subsystem: 'http' }) as FastifyBaseLogger,
    // Request lines come from the request-context plugin, which adds the route, principal and database.
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    genReqId: generateRequestId,
    // X-Forwarded-* headers count only from the proxies TRUST_PROXY names.
    trustProxy: fastifyTrustProxy(deps.config.network.trustProxy),
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    requestTimeout: REQUEST_TIMEOUT_MS,
    keepAliveTimeout: KEEP_ALIVE_TIMEOUT_MS,
    // Requests that arrive while closing get the Duckling error body from the hook below.
    return503OnClosing: false,
    ajv: {
      // Unknown body fields must fail validation rather than vanish.
      customOptions: { removeAdditional: false, coerceTypes: true, useDefaults: true, allErrors: true },
    },
  }).withTypeProvider<TypeBoxTypeProvider>();
  app.server.headersTimeout = HEADERS_TIMEOUT_MS;

  await app.register(errorHandlerPlugin, {
    hideInternalErrors: deps.config.nodeEnv === 'production',
    bodyLimitBytes: BODY_LIMIT_BYTES,
    reportServerError: (error, request) =>
      deps.errors?.captureException(error, {
        tags: { route: request.routeOptions.url ?? 'unknown', db: request.database?.id ?? 'none', protocol: 'rest' },
        extra: { requestId: request.id, method: request.method },
      }),
  });
  await app.register(requestContextPlugin);
  await app.register(jsonBodyPlugin);
  await app.register(securityHeadersPlugin, { publicOrigins: deps.config.network.publicOrigins });
  // Registered before auth, because browsers send preflights without credentials.
  if (deps.config.raw.ENABLE_CORS !== false) {
    await app.register(corsPlugin, { origins: (deps.config.raw.CORS_ORIGINS as string[] | undefined) ?? [] });
  }
  if (deps.config.network.trustProxy === false) await app.register(forwardedHeaderPlugin, { security: deps.security });
  await app.register(fastifyCookie);
  await app.register(authPlugin, {
    auth: deps.auth,
    audit: deps.audit,
    publicOrigins: deps.config.network.publicOrigins,
    corsOrigins: deps.config.network.corsOrigins,
  });
  await app.register(dbContextPlugin, { databases: deps.databases });
  await app.register(scopePlugin, { audit: deps.audit });
  await app.register(rateLimitPlugin, { limiter: deps.rateLimiter });
  // Registered before the routes, because its onRoute hook applies only to routes added after it.
  await app.register(queryParametersPlugin);

  const sse = new SseHub((request, end) => deps.auth.watch.watch(request.principal, end));
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
    // Event streams never end by themselves; ending them lets close() finish.
    sse.closeAll();
  });
  // While in-flight requests drain, keep-alive clients may still send requests. Public routes
  // (health, readiness) still serve them, every other route returns 503, and the connection closes.
  app.addHook('onRequest', async (request, reply) => {
    if (!closing) return;
    reply.header('connection', 'close');
    if (request.routeOptions.config?.auth !== 'public') {
      throw new DucklingError('DUCKLING_NOT_READY', { detail: 'the server is shutting down; retry once it is back' });
    }
  });

  for (const prefix of ALIAS_PREFIXES) {
    await app.register(syncRoutes, { prefix, deps, sse });
    await app.register(tableRoutes, { prefix, deps });
    await app.register(queryRoutes, { prefix, deps });
    await app.register(automationRoutes, { prefix, deps });
    await app.register(backupAutomationRoutes, { prefix, deps });
    await app.register(loginRoutes, { prefix, deps });
  }
  await app.register(backupRoutes, { prefix: '/api', deps });
  await app.register(sessionRoutes, { prefix: '/api', deps });
  await app.register(ticketRoutes, { prefix: '/api', deps });
  await app.register(keyRoutes, { prefix: '/api', deps });
  await app.register(syncLogRoutes, { prefix: '/api', deps });
  await app.register(validationRoutes, { deps });
  await app.register(databaseRoutes, { prefix: '/api', deps });
  await app.register(s3SettingsRoutes, { prefix: '/api', deps });
  await app.register(s3BackupRoutes, { prefix: '/api', deps });
  await app.register(diagnoseRoutes, { prefix: '/api', deps, sse });
  await app.register(healthRoutes, { deps });
  await app.register(securityRoutes, { prefix: '/api', deps });
  await app.register(auditRoutes, { prefix: '/api', deps });

  return app;
}

/** Fastify's types omit the hop-count form, so a count becomes the equivalent per-hop function. */
function fastifyTrustProxy(trustProxy: TrustProxy): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof trustProxy !== 'number') return trustProxy;
  return (_address, hop) => hop < trustProxy;
}
