export { validateDatabase, listSourceTables, type ValidateOptions } from './validate.js';
export { tableDetails } from './table-details.js';
export { checksumTable, CHECKSUM_CHUNK_ROWS, type TableChecksum } from './checksum.js';
export type {
  ValidationMode,
  EncodedKey,
  MismatchedRange,
  TableValidation,
  ValidationSummary,
  ValidationReport,
  SourceTableEntry,
  TableSideDetails,
  TableErrorType,
  TableDetailsReport,
} from './types.js';
