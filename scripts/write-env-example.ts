// Writes .env.example from the settings table, so the file and the schema cannot drift apart.
// Usage: node --import tsx scripts/write-env-example.ts
import { writeFileSync } from 'node:fs';
import { renderEnvExample } from '../src/config/env-example.js';

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());
