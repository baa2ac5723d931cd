/**
 * A private S3 endpoint for tests: s3rver on 127.0.0.1 on a free port with its files in a temp
 * directory, in a child process, behind a small recording HTTP proxy in this process. s3rver ignores server-side-encryption headers, so
 * tests read them from the proxy's request log instead of from the store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CHILD_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 's3rver-child.mjs');

/** The fixed credentials s3rver accepts. */
export const S3RVER_ACCESS_KEY_ID = 'S3RVER';
export const S3RVER_SECRET_ACCESS_KEY = 'S3RVER';

/** One request as the proxy forwarded it. */
export interface RecordedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  headers: http.IncomingHttpHeaders;
}

export interface TestS3 {
  /** `http://127.0.0.1:<port>` of the recording proxy; clients use this one. */
  endpoint: string;
  /** `http://127.0.0.1:<port>` of s3rver itself, unrecorded. */
  directEndpoint: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
  /** Requests forwarded since the start or the last `clearRequests()`. */
  readonly requests: readonly RecordedRequest[];
  clearRequests(): void;
  stop(): Promise<void>;
}

/** Starts s3rver with `buckets` (the first is `bucket`) and the recording proxy in front of it. */
export async function startTestS3(buckets: string[] = ['duckling-backups']): Promise<TestS3> {
  const directory = await mkdtemp(path.join(os.tmpdir(), 'duckling-s3rver-'));
  const child = spawn(process.execPath, ['--openssl-legacy-provider', CHILD_SCRIPT, directory, buckets.join(',')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const address = await readListeningPort(child);
  const directEndpoint = `http://127.0.0.1:${address.port}`;

  const requests: RecordedRequest[] = [];
  const proxy = http.createServer((incoming, outgoing) => {
    requests.push({ method: incoming.method ?? '', url: incoming.url ?? '', headers: { ...incoming.headers } });
    // Headers, the Host header included, pass unchanged, so s3rver checks the client's signature.
    const forwarded = http.request(
      { host: '127.0.0.1', port: address.port, method: incoming.method, path: incoming.url, headers: incoming.headers },
      (response) => {
        outgoing.writeHead(response.statusCode ?? 502, response.headers);
        response.pipe(outgoing);
      },
    );
    forwarded.on('error', (error) => {
      outgoing.destroy(error);
    });
    incoming.pipe(forwarded);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  const proxyPort = (proxy.address() as AddressInfo).port;

  return {
    endpoint: `http://127.0.0.1:${proxyPort}`,
    directEndpoint,
    bucket: buckets[0]!,
    accessKeyId: S3RVER_ACCESS_KEY_ID,
    secretAccessKey: S3RVER_SECRET_ACCESS_KEY,
    requests,
    clearRequests() {
      requests.length = 0;
    },
    async stop() {
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      await rm(directory, { recursive: true, force: true });
    },
  };
}

/** Waits for the child's `{"port": N}` line; rejects when it exits first. */
function readListeningPort(child: ChildProcess): Promise<{ port: number }> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    child.once('exit', (code) => reject(new Error(`s3rver exited with code ${code} before listening`)));
    lines.once('line', (line) => resolve(JSON.parse(line) as { port: number }));
  });
}
