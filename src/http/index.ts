export { createHttpServer, BODY_LIMIT_BYTES } from './server.js';
export type {
  ConnectionTestResult,
  DatabaseAdminPort,
  DatabaseChanges,
  DatabaseStatus,
  DatabaseView,
  NewDatabaseInput,
  DatabaseDirectory,
  DatabaseHandle,
  HealthPort,
  HttpDependencies,
  QueryPort,
  Readiness,
  SyncPort,
  TablePort,
} from './services.js';
export type { AuthRule, RouteCategory } from './fastify-types.js';
