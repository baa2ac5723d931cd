/** Bodies of the validation routes as the client receives them: the server's own types. */
export type {
  MismatchedRange as MismatchedRangeBody,
  TableValidation as TableValidationBody,
  ValidationReport as ValidationResponse,
  ValidationMode,
  ReconcileReport as ReconcileResponse,
  TableReconcileResult as TableReconcileBody,
} from '../api-types/index.js';

export interface ValidateQuery {
  mode?: 'count' | 'checksum';
  table?: string;
}

export interface ReconcileRequest {
  table?: string;
  /** Also re-copy rows whose values differ. */
  content?: boolean;
}
