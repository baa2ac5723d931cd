export {
  URL_CREDENTIAL_PARAMETERS,
  createApiKeyVerifier,
  findUrlCredentialParameters,
  keyFingerprint,
  readAuthorizationCredential,
  type ApiKeyVerifier,
} from './api-key.js';
export {
  ANONYMOUS,
  describePrincipal,
  isAdministrator,
  type AuthMethod,
  type Principal,
  type PrincipalDescription,
  type Tier,
} from './principal.js';
export { UNLIMITED_ATTEMPTS, type AuthAttemptGuard } from './attempt-guard.js';
export { AdminTokens, CLOCK_SKEW_SEC, TOKEN_AUDIENCE, TOKEN_ISSUER, type AdminSession, type TokenCheck } from './admin-tokens.js';
export { SessionCookieSealer, PLAIN_SESSION_COOKIE, SECURE_SESSION_COOKIE } from './session-cookie.js';
export { Authenticator, type AuthFailure, type AuthFailureReason, type Authentication } from './authenticator.js';
export { CredentialWatch } from './credential-watch.js';
export {
  DatabaseKeys,
  parseDatabaseKey,
  type DatabaseKeyRecord,
  type DatabaseKeyRecords,
  type DatabaseKeyView,
} from './database-keys.js';
export { FileRevocationList, REVOCATION_FILE_NAME, type RevocationList } from './revocations.js';
export { RedisRevocationList } from './redis-revocations.js';
export { MemoryTicketStore, RedisTicketStore, Tickets, TICKET_LIFETIME_MS, TICKET_PURPOSES, type TicketGrant, type TicketPurpose } from './tickets.js';
export { createAuthServices, type AuthServices, type AuthServicesOptions } from './auth-services.js';
export { secretsEqual } from './digest.js';
