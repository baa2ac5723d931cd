import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
// @ts-expect-error plain JavaScript module shared with the demo and benchmark scripts
import { freePort } from '../../scripts/lib/private-mariadb.mjs';

export interface PrivateRedis {
  port: number;
  url: string;
  /** Stops the server (SIGKILL, as a crash would) and waits for it to exit. */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
}

/**
 * Starts a `redis-server` of this test on a free loopback port, without persistence, so tests
 * never touch the machine's own Redis. The debug command is enabled for tests that make the
 * server stall (`DEBUG SLEEP`).
 */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = (await freePort()) as number;
  let child: ChildProcess | null = null;

  const launch = async (): Promise<void> => {
    child = spawn(
      'redis-server',
      ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--enable-debug-command', 'yes'],
      { stdio: 'ignore' },
    );
    await waitForPort(port);
  };

  await launch();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      const running = child;
      child = null;
      if (!running || running.exitCode !== null) return;
      const exited = new Promise((resolve) => running.once('exit', resolve));
      running.kill('SIGKILL');
      await exited;
    },
    restart: launch,
  };
}

async function waitForPort(port: number): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt += 1) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`redis-server did not listen on 127.0.0.1:${port} within 5 s; is redis-server installed?`);
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
