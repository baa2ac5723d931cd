export {
  ANONYMOUS,
  URL_CREDENTIAL_PARAMETERS,
  createApiKeyVerifier,
  findUrlCredentialParameters,
  keyFingerprint,
  readAuthorizationCredential,
  type ApiKeyVerifier,
  type Principal,
} from './api-key.js';
