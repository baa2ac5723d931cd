import { readFileSync } from 'node:fs';

/** Version of the `duckling` package, read once from its package.json. */
export const DUCKLING_VERSION: string = (() => {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  return typeof manifest.version === 'string' ? manifest.version : '0.0.0';
})();
