import type { Config } from '../config/index.js';
import { DUCKLING_VERSION } from '../config/index.js';
import { Redactor, type Logger } from '../logging/index.js';

/** Destination of unexpected errors besides the log: Sentry when `SENTRY_DSN` is set, else none. */
export interface ErrorReporter {
  readonly enabled: boolean;
  /** Sends the error with tags (`route`, `db`, `protocol`) and extra context, both redacted first. */
  captureException(error: unknown, context?: ErrorContext): void;
  /** Waits until queued events are sent, at most `timeoutMs`; returns false when some were not. */
  flush(timeoutMs: number): Promise<boolean>;
}

export interface ErrorContext {
  tags?: Record<string, string>;
  extra?: Record<string, unknown>;
}

export const NO_ERROR_REPORTER: ErrorReporter = Object.freeze({
  enabled: false,
  captureException: () => undefined,
  flush: async () => true,
});

/**
 * Default integrations kept; every other one is left out. Duckling logs and reports uncaught errors
 * and 5xx responses itself, so Sentry's own handlers (process, Fastify) would only duplicate them or
 * race the exit. Database integrations would put SQL text into spans, and local variables or
 * console breadcrumbs could hold replicated values or secrets. `Http` is added separately.
 */
const KEPT_INTEGRATIONS = new Set([
  'InboundFilters',
  'FunctionToString',
  'LinkedErrors',
  'RequestData',
  'NodeSystemError',
  'ContextLines',
  'Context',
  'Modules',
  'NodeFetch',
]);

/** Span attributes that hold statement text, removed from every span. */
const STATEMENT_ATTRIBUTES = ['db.statement', 'db.query.text', 'db.query.summary'];

/**
 * Starts Sentry when `SENTRY_DSN` is set, else returns `NO_ERROR_REPORTER`. Call it right after the
 * settings are validated, before any replica opens. Every event, transaction, span and breadcrumb
 * passes the log redaction plus masking of `secretValues` before it leaves the process, and
 * `sendDefaultPii` is off, so request bodies, cookies and client addresses are not sent.
 */
export async function startSentry(config: Config, logger: Logger, secretValues: readonly string[] = []): Promise<ErrorReporter> {
  const dsn = typeof config.raw.SENTRY_DSN === 'string' ? config.raw.SENTRY_DSN : '';
  if (dsn === '') return NO_ERROR_REPORTER;

  // Loaded only when enabled, because @sentry/node instruments modules as it loads.
  const Sentry = await import('@sentry/node');
  const redactor = new Redactor(secretValues);
  const scrub = <T>(value: T): T => redactor.value(value) as T;
  const release = typeof config.raw.SENTRY_RELEASE === 'string' ? config.raw.SENTRY_RELEASE : DUCKLING_VERSION;
  const tracesSampleRate = typeof config.raw.SENTRY_TRACES_SAMPLE_RATE === 'number' ? config.raw.SENTRY_TRACES_SAMPLE_RATE : 0;

  Sentry.init({
    dsn,
    release,
    environment: config.nodeEnv,
    tracesSampleRate,
    sendDefaultPii: false,
    includeLocalVariables: false,
    integrations: (defaults) => [
      ...defaults.filter((integration) => KEPT_INTEGRATIONS.has(integration.name)),
      // Request bodies carry logins and connection strings, so none is read.
      Sentry.httpIntegration({ maxIncomingRequestBodySize: 'none' }),
    ],
    beforeSend: (event) => {
      // Bodies and cookies are dropped whole: a JSON body arrives as text, which field masking cannot see into.
      if (event.request) {
        delete event.request.data;
        delete event.request.cookies;
      }
      return scrub(event);
    },
    beforeSendTransaction: (event) => scrub(event),
    beforeSendSpan: (span) => {
      const scrubbed = scrub(span);
      for (const attribute of STATEMENT_ATTRIBUTES) delete scrubbed.data?.[attribute];
      return scrubbed;
    },
    beforeBreadcrumb: (breadcrumb) => scrub(breadcrumb),
  });
  logger.info({ release, environment: config.nodeEnv, tracesSampleRate }, 'sentry enabled');

  return {
    enabled: true,
    captureException(error, context = {}) {
      Sentry.captureException(error, { tags: context.tags ?? {}, extra: context.extra ?? {} });
    },
    flush: (timeoutMs) => Sentry.flush(timeoutMs),
  };
}
// TODO(sentry): failed tables, CDC failures and backup or restore failures are not reported yet, and
// replicated values quoted in an error message are sent whole — report them from their services
// with values cut to 32 characters.
