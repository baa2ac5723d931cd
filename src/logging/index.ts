export { createLogger, silentLogger, redactText, LogKey, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
