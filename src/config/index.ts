export { loadConfig, ConfigError, type Config, type LoadConfigOptions } from './config.js';
export { VARIABLES, WATCHED_PREFIXES, type VariableSpec } from './variables.js';
export { durationToSeconds, sizeToBytes } from './parse.js';
export { DUCKLING_VERSION } from './version.js';
export { parseTrustProxy, type TrustProxy } from './trust-proxy.js';
