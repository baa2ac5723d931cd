/** Bodies of the validation routes as the client receives them: the server's own types. */
export type {
  MismatchedRange as MismatchedRangeBody,
  TableValidation as TableValidationBody,
  ValidationReport as ValidationResponse,
  ValidationMode,
} from '../api-types/index.js';

export interface ValidateQuery {
  mode?: 'count' | 'checksum';
  table?: string;
}
