export {
  MIN_ADMIN_PASSWORD_LENGTH,
  MIN_SECRET_LENGTH,
  configInvalidFindings,
  evaluateFindings,
  evaluateRegistryFindings,
  REGISTRY_FINDING_IDS,
  formatFatalLine,
  forwardedHeaderIgnoredFinding,
  isLoopbackHost,
  isPlaceholder,
  type Finding,
  type FindingId,
  type FindingSeverity,
  type RegistrySummary,
  type SourceSummary,
} from './findings.js';
export { summarizeRegistry } from './registry-summary.js';
export { FatalFindingsError, SecurityFindings, type FindingCounts } from './security-findings.js';
export { configuredSecretValues } from './configured-secrets.js';
