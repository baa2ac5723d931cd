export {
  AUDIT_EVENTS,
  AUDIT_RING_SIZE,
  AuditLog,
  SYSTEM_ACTOR,
  type AuditActor,
  type AuditEvent,
  type AuditEventInput,
  type AuditEventType,
  type AuditFilter,
} from './audit-log.js';
export { auditSyncRun, type AuditContext, type AuditedRun } from './sync-audit.js';
