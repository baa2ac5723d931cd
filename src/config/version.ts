import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Version of the `duckling` package. The package.json is found by walking up from this module, so
 * the same code works from `src/` under tsx and from the compiled `dist/src/`.
 */
export const DUCKLING_VERSION: string = readPackageVersion(path.dirname(fileURLToPath(import.meta.url)));

function readPackageVersion(start: string): string {
  for (let directory = start; ; directory = path.dirname(directory)) {
    const candidate = path.join(directory, 'package.json');
    if (existsSync(candidate)) {
      const manifest = JSON.parse(readFileSync(candidate, 'utf8')) as { name?: unknown; version?: unknown };
      if (manifest.name === 'duckling' && typeof manifest.version === 'string') return manifest.version;
    }
    if (path.dirname(directory) === directory) return '0.0.0';
  }
}
