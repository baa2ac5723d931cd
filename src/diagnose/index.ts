export { diagnoseSource, worstStatus, type DiagnoseOptions } from './diagnose.js';
export type { CheckStatus, Diagnosis, DiagnosisCheck, DiagnosisSummary, TableDiagnosis, WatermarkQuality } from './types.js';
