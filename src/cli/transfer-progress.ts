import cliProgress from 'cli-progress';
import type { DucklingHttpClient } from '../client/index.js';
import { formatBytes, type Output } from './output.js';

/** Interval between two requests for the transfer's byte count. */
const POLL_INTERVAL_MS = 500;

/**
 * Runs `task` (an S3 upload, verification or restore request) and, on a terminal, draws a bar of
 * the bytes moved so far, polling `GET /api/backups/s3/progress`. Without a terminal or with
 * `--json` it only waits. A failed poll leaves the bar as it is; the task's own result decides.
 */
export async function withTransferProgress<T>(output: Output, client: DucklingHttpClient, task: Promise<T>): Promise<T> {
  if (!output.interactive) return task;

  const bar = new cliProgress.SingleBar(
    {
      stream: output.stderr,
      format: '{operation} {bar} {done} of {total}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: true,
      barCompleteChar: output.color ? '\u2588' : '#',
      barIncompleteChar: output.color ? '\u2591' : '-',
    },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  const poll = async () => {
    const { transfer } = await client.backupS3Progress().catch(() => ({ transfer: null }));
    if (!transfer) return;
    const total = Math.max(transfer.totalBytes ?? transfer.transferredBytes, 1);
    const payload = { operation: transfer.operation === 'upload' ? 'upload  ' : 'download', done: formatBytes(transfer.transferredBytes), total: formatBytes(total) };
    if (!started) {
      bar.start(total, transfer.transferredBytes, payload);
      started = true;
    } else {
      bar.setTotal(total);
      bar.update(transfer.transferredBytes, payload);
    }
  };

  const timer = setInterval(() => void poll(), POLL_INTERVAL_MS);
  try {
    return await task;
  } finally {
    clearInterval(timer);
    if (started) bar.stop();
  }
}
