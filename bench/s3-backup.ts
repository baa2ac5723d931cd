// S3 backup and restore throughput with `client-aes256` against an unencrypted upload of the same
// replica file to the same s3rver, and the peak RSS of each transfer. Writes its section into
// docs/benchmarks.md (between the s3-backup markers), after bench/run.ts has written the page.
// Settings (environment):
//   BENCH_S3_SIZES_MB  replica file sizes to measure, comma-separated (default 64,256)
//   BENCH_S3_RUNS      timed runs per size, mode and direction (default 3); the median, slowest and fastest are reported
//   BENCH_OUTPUT       page to write the section into instead of docs/benchmarks.md
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { backupName } from '../src/backup/names.js';
import { startTestS3 } from '../test/harness/s3.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const START_MARKER = '<!-- s3-backup:start -->';
const END_MARKER = '<!-- s3-backup:end -->';
const MODES = ['none', 'client-aes256'] as const;
const MIB = 1024 * 1024;

interface Transfer {
  durationMs: number;
  peakRssBytes: number;
  bytes: number;
}

/** The median run of a size, mode and direction, with the slowest and fastest throughput of all runs. */
interface RunSummary extends Transfer {
  minMbPerSecond: number;
  maxMbPerSecond: number;
}

interface SizeResult {
  fileBytes: number;
  rows: number;
  byMode: Record<(typeof MODES)[number], { upload: RunSummary; restore: RunSummary }>;
}

function listSetting(name: string, fallback: number[]): number[] {
  const text = process.env[name];
  if (!text) return fallback;
  const values = text.split(',').map((part) => Number(part.trim()));
  if (values.some((value) => !Number.isInteger(value) || value < 1)) throw new Error(`invalid ${name}=${JSON.stringify(text)}: expected positive integers separated by commas`);
  return values;
}

/** Writes a DuckDB file of at least `targetBytes`, growing the row count until it is reached. */
async function createReplicaFile(filePath: string, targetBytes: number): Promise<number> {
  let rows = Math.ceil(targetBytes / 40);
  for (;;) {
    rmSync(filePath, { force: true });
    const instance = await DuckDBInstance.create(filePath);
    const connection = await instance.connect();
    // md5 text barely compresses, so the file grows about linearly with the row count.
    await connection.run(`CREATE TABLE orders AS SELECT range AS id, md5(range::VARCHAR) AS a, md5((range * 7)::VARCHAR) AS b FROM range(${rows})`);
    await connection.run('CHECKPOINT');
    connection.closeSync();
    instance.closeSync();
    const size = statSync(filePath).size;
    if (size >= targetBytes) return rows;
    rows = Math.ceil(rows * (targetBytes / size) * 1.05);
  }
}

function runChild(args: string[]): Promise<Transfer> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'bench/s3-transfer-child.ts'), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(output.trim()) as Transfer) : reject(new Error(`transfer ${args.slice(0, 2).join(' ')} exited with code ${code}`))));
  });
}

const mbPerSecond = (transfer: Transfer) => transfer.bytes / MIB / (transfer.durationMs / 1000);

function median(transfers: Transfer[]): RunSummary {
  const sorted = [...transfers].sort((a, b) => a.durationMs - b.durationMs);
  const middle = sorted[Math.floor(sorted.length / 2)]!;
  return {
    ...middle,
    peakRssBytes: Math.max(...transfers.map((transfer) => transfer.peakRssBytes)),
    minMbPerSecond: mbPerSecond(sorted[sorted.length - 1]!),
    maxMbPerSecond: mbPerSecond(sorted[0]!),
  };
}

const formatRate = (summary: RunSummary) => `${mbPerSecond(summary).toFixed(1)} MiB/s (${summary.minMbPerSecond.toFixed(0)}–${summary.maxMbPerSecond.toFixed(0)})`;
const formatMb = (bytes: number) => `${(bytes / MIB).toFixed(0)} MiB`;

function renderSection(results: SizeResult[], runs: number, command: string, loadAverage: { start: number; end: number }): string {
  const lines = [
    START_MARKER,
    '## S3 backup and restore',
    '',
    `Measured ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} with \`${command}\` on ${os.availableParallelism()} CPUs (${os.cpus()[0]?.model ?? 'unknown'}); 1-minute load average ${loadAverage.start.toFixed(2)} at the start and ${loadAverage.end.toFixed(2)} at the end.`,
    '',
    'Each transfer runs in its own process against s3rver 3.7 on 127.0.0.1, which writes to the same disk. A backup is',
    "Duckling's multipart upload of 16 MiB parts, 4 in flight, reading the file once (encrypting it for `client-aes256`),",
    'then a HEAD and the manifest. A restore downloads the object and checks its size and SHA-256. For `client-aes256` it',
    'also checks the manifest MAC and whole-object HMAC, then decrypts the object chunk by chunk over itself. The DuckDB',
    `open and swap of a real restore are not included. Throughput is file MiB ÷ wall time, median of ${runs} runs, with the`,
    "slowest and fastest run in brackets; the ratio compares medians. Peak RSS is the largest VmHWM of those runs' processes.",
    '',
    '| Replica file | Direction | Unencrypted | client-aes256 | Ratio | Target | Peak RSS unencrypted | Peak RSS client-aes256 |',
    '|---|---|---:|---:|---:|---|---:|---:|',
  ];
  for (const result of results) {
    for (const direction of ['upload', 'restore'] as const) {
      const plain = result.byMode.none[direction];
      const encrypted = result.byMode['client-aes256'][direction];
      const ratio = mbPerSecond(encrypted) / mbPerSecond(plain);
      lines.push(
        `| ${formatMb(result.fileBytes)} (${result.rows.toLocaleString('en-US')} rows) | ${direction === 'upload' ? 'backup' : 'restore'} | ${formatRate(plain)} | ${formatRate(encrypted)} | ${ratio.toFixed(2)}× | ≥ 0.8×: ${ratio >= 0.8 ? 'met' : 'not met'} | ${formatMb(plain.peakRssBytes)} | ${formatMb(encrypted.peakRssBytes)} |`,
      );
    }
  }
  lines.push(
    '',
    'Peak RSS stays flat when it is about the same for every file size in the table.',
    '',
    'An unencrypted restore only downloads (hashing on the way) and syncs the file. A `client-aes256` restore downloads',
    'the same way, also computing the HMAC, then reads the object again and decrypts it over itself, because no byte may',
    'be decrypted before the HMAC over the whole object has been checked. In that second pass a worker thread computes',
    'the plaintext SHA-256 while the main thread runs AES-GCM. The ratio is therefore bounded by download time ÷',
    '(download time + decryption time), and it misses 0.8× whenever the decryption pass takes more than a quarter of the',
    'download time.',
    END_MARKER,
    '',
  );
  return lines.join('\n');
}

function writeSection(output: string, section: string): void {
  const page = existsSync(output) ? readFileSync(output, 'utf8') : '';
  const start = page.indexOf(START_MARKER);
  const end = page.indexOf(END_MARKER);
  const next = start >= 0 && end > start ? `${page.slice(0, start)}${section}${page.slice(end + END_MARKER.length + 1)}` : `${page.trimEnd()}\n\n${section}`;
  writeFileSync(output, next);
}

async function main(): Promise<void> {
  const sizesMb = listSetting('BENCH_S3_SIZES_MB', [64, 256]);
  const runs = listSetting('BENCH_S3_RUNS', [3])[0]!;
  const output = process.env.BENCH_OUTPUT || path.join(root, 'docs', 'benchmarks.md');
  const command = [...['BENCH_S3_SIZES_MB', 'BENCH_S3_RUNS'].filter((name) => process.env[name]).map((name) => `${name}=${process.env[name]}`), 'node --import tsx bench/s3-backup.ts'].join(' ');
  const loadAtStart = os.loadavg()[0] ?? 0;
  const workDir = mkdtempSync(path.join(os.tmpdir(), 'duckling-bench-s3-'));
  const s3 = await startTestS3(['bench']);
  const hexKey = randomBytes(32).toString('hex');
  let timestamp = Date.UTC(2026, 0, 1);

  try {
    const results: SizeResult[] = [];
    for (const sizeMb of sizesMb) {
      const imagePath = path.join(workDir, `replica-${sizeMb}.db`);
      console.log(`creating a replica file of at least ${sizeMb} MiB`);
      const rows = await createReplicaFile(imagePath, sizeMb * MIB);
      const byMode = {} as SizeResult['byMode'];
      for (const mode of MODES) {
        const uploads: Transfer[] = [];
        const restores: Transfer[] = [];
        for (let run = 0; run < runs; run += 1) {
          timestamp += 60_000;
          const name = backupName('bench', new Date(timestamp));
          console.log(`  ${mode} run ${run + 1}: upload`);
          uploads.push(await runChild(['upload', mode, imagePath, s3.directEndpoint, s3.bucket, name, hexKey]));
          const restored = path.join(workDir, `restored-${name}.db`);
          console.log(`  ${mode} run ${run + 1}: restore`);
          restores.push(await runChild(['restore', mode, restored, s3.directEndpoint, s3.bucket, name, hexKey]));
          rmSync(restored, { force: true });
          console.log(`  ${mode} run ${run + 1}: backup ${mbPerSecond(uploads.at(-1)!).toFixed(1)} MiB/s, restore ${mbPerSecond(restores.at(-1)!).toFixed(1)} MiB/s`);
        }
        byMode[mode] = { upload: median(uploads), restore: median(restores) };
      }
      results.push({ fileBytes: statSync(imagePath).size, rows, byMode });
      rmSync(imagePath, { force: true });
    }
    writeSection(output, renderSection(results, runs, command, { start: loadAtStart, end: os.loadavg()[0] ?? 0 }));
    console.log(`wrote the S3 backup section of ${output}`);
  } finally {
    await s3.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

await main();
