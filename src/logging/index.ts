export { createLogger, silentLogger, LogKey, REDACT_PATHS, type Logger, type LoggerOptions } from './logger.js';
export { REDACTED, Redactor, SECRET_FIELD_NAMES, isSecretFieldName, redactText } from './redaction.js';
