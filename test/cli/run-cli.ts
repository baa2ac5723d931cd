import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const mainScript = path.join(root, 'src/cli/main.ts');
// Resolved here so a test may run the CLI from any working directory.
const tsxLoader = import.meta.resolve('tsx');

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `duckling <args>` as a child process (`node --import tsx src/cli/main.ts`), with standard
 * output and error as pipes, so the CLI sees no terminal. It runs in the temporary directory unless
 * `cwd` is given, and DUCKLING_* variables are not inherited, so neither a `.env` of the checkout nor
 * the machine's settings leak into a test. Variables in `env` replace inherited ones.
 */
export function runCli(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const child = startCli(args, options);
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export interface CliOptions {
  cwd?: string;
  env?: Record<string, string>;
}

/** Starts `duckling <args>` and returns the child process, for commands that run until stopped. */
export function startCli(args: string[], options: CliOptions = {}): ChildProcessByStdio<null, Readable, Readable> {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DUCKLING_')));
  return spawn(process.execPath, ['--import', tsxLoader, mainScript, ...args], {
    cwd: options.cwd ?? os.tmpdir(),
    env: { ...inherited, NO_COLOR: '1', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

/** Returns a TCP port on 127.0.0.1 that nothing listens on (it was free a moment ago). */
export async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no TCP address');
  return address.port;
}
