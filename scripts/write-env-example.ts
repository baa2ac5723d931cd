// Writes .env.example and the variable tables of docs/configuration.md from the settings table, so
// the files and the schema cannot drift apart. Usage: node --import tsx scripts/write-env-example.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { renderEnvExample, replaceVariableTables } from '../src/config/env-example.js';

writeFileSync(new URL('../.env.example', import.meta.url), renderEnvExample());

const docsUrl = new URL('../docs/configuration.md', import.meta.url);
writeFileSync(docsUrl, replaceVariableTables(readFileSync(docsUrl, 'utf8')));
