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
  type AuthMethod,
  type Principal,
  type PrincipalDescription,
  type Tier,
} from './principal.js';
export { UNLIMITED_ATTEMPTS, type AuthAttemptGuard } from './attempt-guard.js';
