import { VARIABLES, type Config } from '../config/index.js';

/**
 * Returns the values of every set secret variable (API keys, admin password, session and JWT
 * secrets, the source connection string, the Sentry DSN), which the logger and Sentry mask
 * wherever they appear in text.
 */
export function configuredSecretValues(config: Config): string[] {
  return VARIABLES.filter((spec) => spec.kind.type === 'secret')
    .map((spec) => config.raw[spec.name])
    .filter((value): value is string => typeof value === 'string' && value !== '');
}
