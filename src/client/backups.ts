/** Bodies of the backup routes as the client receives them: the server's own types. */
export type { BackupListEntry, BackupManifest, VerifyCheck } from '../api-types/index.js';
import type { BackupManifest, BackupListEntry, VerifyCheck } from '../api-types/index.js';

/** Body of `POST /api/backups` and `POST /api/automation/backup`. */
export interface BackupCreatedResponse {
  success: true;
  message: string;
  backup: { name: string; size: number; durationMs: number; manifest: BackupManifest; s3Key?: string };
}

export interface BackupListResponse {
  success: true;
  backups: BackupListEntry[];
}

/** Body of `POST /api/backups/verify`. */
export interface BackupVerifyRequest {
  location: 'local' | 's3';
  name?: string;
  key?: string;
  allowCrossDatabase?: boolean;
}

export interface BackupVerifyResponse {
  success: true;
  valid: boolean;
  checks: VerifyCheck[];
}

/** Body of `GET /api/backups/s3/progress`: the running upload or download of the database, or null. */
export interface BackupS3ProgressResponse {
  success: true;
  transfer: { operation: 'upload' | 'download'; key: string; transferredBytes: number; totalBytes: number | null; startedAt: string } | null;
}

/** Body of `POST /api/backups/s3`. */
export interface BackupS3Response {
  success: true;
  message: string;
  /** Data object key, `<pathPrefix>backup-<id>-<timestamp>.db` or `.db.enc`. */
  key: string;
  manifestKey: string;
  size: number;
  durationMs: number;
}

/** Body of `POST /api/backups/restore` and `POST /api/backups/s3/restore`. */
export interface BackupRestoreResponse {
  success: true;
  message: string;
  restoredFrom: string;
  tables: Array<{ name: string; rows: number }>;
  durationMs: number;
}
