export type {
  ColumnDefault,
  ColumnPlan,
  KeyKind,
  SourceColumn,
  TableDefinition,
  TablePlan,
} from './types.js';
export { planTable, schemaHash } from './plan-table.js';
export { NULLED } from './codec.js';
export { ValueConversionError } from './value-conversion-error.js';
export { canonicalJson, escapeJsonString, InvalidJsonError } from './json-canonical.js';
export { isZeroOrPartialDate, parseDateTimeMicros, parseTimeMicros } from './temporal-codecs.js';
