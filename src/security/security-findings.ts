import { SYSTEM_ACTOR, type AuditLog } from '../audit/index.js';
import type { Logger } from '../logging/index.js';
import { formatFatalLine, REGISTRY_FINDING_IDS, sortBySeverity, type Finding, type FindingId } from './findings.js';

/** Counts of the current findings, as the admin `/health` and `/status` bodies show them. */
export interface FindingCounts {
  fatal: number;
  warnings: number;
}

/** Thrown by the start when a fatal finding exists; `duckling serve` prints one line per finding and exits 1. */
export class FatalFindingsError extends Error {
  constructor(readonly findings: readonly Finding[]) {
    super(findings.map(formatFatalLine).join('\n'));
    this.name = 'FatalFindingsError';
  }

  /** One `FATAL security: …` line per finding. */
  get lines(): string[] {
    return this.findings.map(formatFatalLine);
  }
}

/**
 * The findings of this process: those of the startup checks, the registry findings as of the last
 * write of `databases.json`, and run-time ones raised at most once each. Each new or changed finding
 * is logged once, and each report is one `security.findings` audit event.
 */
export class SecurityFindings {
  private findings: Finding[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Records the startup findings. Throws `FatalFindingsError` when one is fatal, before any is
   * logged as a warning, because the process then stops.
   */
  reportStartup(findings: readonly Finding[]): void {
    const fatal = findings.filter((finding) => finding.severity === 'fatal');
    if (fatal.length > 0) throw new FatalFindingsError(fatal);

    this.findings = [...findings];
    for (const finding of findings) this.log(finding);
    if (findings.length > 0) this.recordAudit(findings);
  }

  /**
   * Replaces the registry findings (`source_plaintext`, `secrets_unsealed`, `secrets_unreadable`)
   * with those computed after a registry write. A fatal one is listed and counted but stops nothing,
   * because the server is already running. Logs and audits only findings that are new or whose
   * message changed, and logs each one that cleared.
   */
  replaceRegistryFindings(current: readonly Finding[]): void {
    const previous = this.findings.filter((finding) => REGISTRY_FINDING_IDS.has(finding.id));
    const changed = current.filter((finding) => !previous.some((old) => old.id === finding.id && old.message === finding.message));
    const cleared = previous.filter((old) => !current.some((finding) => finding.id === old.id));

    const others = this.findings.filter((finding) => !REGISTRY_FINDING_IDS.has(finding.id));
    this.findings = sortBySeverity([...others, ...current]);

    for (const finding of changed) this.log(finding);
    for (const finding of cleared) this.logger.info({ findingId: finding.id }, 'security finding cleared');
    if (changed.length > 0) this.recordAudit(changed);
  }

  /** Adds a run-time finding unless one with its id exists; returns whether it was new. */
  raise(finding: Finding): boolean {
    if (this.has(finding.id)) return false;
    this.findings.push(finding);
    this.log(finding);
    this.recordAudit([finding]);
    return true;
  }

  has(id: FindingId): boolean {
    return this.findings.some((finding) => finding.id === id);
  }

  list(): Finding[] {
    return this.findings.map((finding) => ({ ...finding }));
  }

  counts(): FindingCounts {
    const fatal = this.findings.filter((finding) => finding.severity === 'fatal').length;
    return { fatal, warnings: this.findings.length - fatal };
  }

  private log(finding: Finding): void {
    this.logger.warn({ findingId: finding.id, detail: finding.message, remedy: finding.remedy }, 'security finding');
  }

  private recordAudit(findings: readonly Finding[]): void {
    this.audit.record({
      event: 'security.findings',
      actor: SYSTEM_ACTOR,
      outcome: 'success',
      detail: { ids: findings.map((finding) => finding.id), warnings: findings.filter((finding) => finding.severity === 'warning').length },
    });
  }
}
