export { ERROR_CODES, type ErrorCode } from './codes.js';
export { DucklingError, isDucklingError, errorMessage, type ErrorParams } from './duckling-error.js';
