// Runs `duckling serve` and `duckling` CLI commands for the demo as child processes.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import path from 'node:path';

const READY_TIMEOUT_MS = 120_000;
const STOP_TIMEOUT_MS = 45_000;

/** Command and leading arguments that run the CLI: `node bin/duckling.js`. */
export function cliCommand(root) {
  const bin = path.join(root, 'bin', 'duckling.js');
  if (!existsSync(bin)) throw new Error(`CLI entry ${bin} not found; run the demo from a complete checkout of the repository`);
  return [process.execPath, bin];
}

/**
 * Builds the environment of the demo's children: the demo's own minus every variable that the
 * demo env file sets, because the environment takes precedence over the env file.
 */
export function childEnvironment(envValues) {
  const environment = { ...process.env };
  for (const name of Object.keys(envValues)) delete environment[name];
  return environment;
}

/** Runs one CLI command with the terminal attached; resolves with its exit code. */
export function runCli(root, envFile, envValues, args) {
  const [command, ...prefix] = cliCommand(root);
  const child = spawn(command, [...prefix, '--env-file', envFile, ...args], {
    cwd: root,
    stdio: 'inherit',
    env: childEnvironment(envValues),
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

/**
 * Starts `duckling serve` with its output appended to `logFile`. The child gets its own process
 * group, so a Ctrl-C in the terminal reaches only the demo, which then sends exactly one SIGTERM;
 * a second signal would make the server skip its clean shutdown.
 */
export function startServer(root, envFile, envValues, logFile) {
  const [command, ...prefix] = cliCommand(root);
  const output = openSync(logFile, 'a');
  const child = spawn(command, [...prefix, '--env-file', envFile, 'serve'], {
    cwd: root,
    stdio: ['ignore', output, output],
    detached: true,
    env: childEnvironment(envValues),
  });
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return { child, exited, logFile };
}

/** Polls GET /health/ready until it returns 200; fails when the server exits or 120 s pass. */
export async function waitForReady(server, baseUrl) {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  let lastProblem = 'no answer yet';
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null || server.child.signalCode !== null) {
      throw new Error(`duckling serve exited (code ${server.child.exitCode}) before it was ready:\n${tail(server.logFile)}`);
    }
    try {
      const response = await fetch(`${baseUrl}/health/ready`, { signal: AbortSignal.timeout(2000) });
      if (response.status === 200) return;
      lastProblem = `status ${response.status}: ${(await response.text()).slice(0, 200)}`;
    } catch (error) {
      lastProblem = error instanceof Error ? error.message : String(error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`duckling serve was not ready at ${baseUrl}/health/ready within ${READY_TIMEOUT_MS / 1000} s (${lastProblem}); see ${server.logFile}`);
}

/** Sends SIGTERM to the server and waits for its exit; SIGKILL after 45 s. Returns the exit code. */
export async function stopServer(server) {
  if (server.child.exitCode !== null || server.child.signalCode !== null) return server.child.exitCode ?? 1;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const { code } = await server.exited;
  clearTimeout(timer);
  return code ?? 1;
}

/** Last lines of a log file, for error messages. */
export function tail(file, lines = 20) {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  }
}
