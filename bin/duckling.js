#!/usr/bin/env node
// Launcher of the `duckling` command: registers tsx's ESM loader so the TypeScript sources run
// without a build step, then loads the CLI entry point.
import { register } from 'tsx/esm/api';

register();
await import('../src/cli/main.ts');
