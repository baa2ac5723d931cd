import { randomBytes } from 'node:crypto';
import { Command, InvalidArgumentError, Option } from 'commander';
import { createContext } from '../context.js';

const MIN_BYTES = 16;
const MAX_BYTES = 1024;

/** `duckling gen-key`: prints one random key for DUCKLING_API_KEY, SESSION_SECRET and the like. */
export function genKeyCommand(): Command {
  return new Command('gen-key')
    .description('Print one random key (default 32 bytes as 64 hex characters)')
    .option('--bytes <n>', `random bytes in the key, ${MIN_BYTES} to ${MAX_BYTES}`, parseByteCount, 32)
    .addOption(new Option('--format <format>', 'key encoding').choices(['hex', 'base64']).default('hex'))
    .action(function (this: Command) {
      const context = createContext(this);
      const { bytes, format } = this.opts<{ bytes: number; format: 'hex' | 'base64' }>();
      const key = generateKey(bytes, format);
      if (context.output.json) context.output.jsonLine({ key, bytes, format });
      else context.output.line(key);
    });
}

export function generateKey(bytes: number, format: 'hex' | 'base64'): string {
  return randomBytes(bytes).toString(format);
}

function parseByteCount(text: string): number {
  if (!/^\d+$/.test(text)) throw new InvalidArgumentError(`expected a whole number of bytes from ${MIN_BYTES} to ${MAX_BYTES}.`);
  const value = Number(text);
  if (value < MIN_BYTES || value > MAX_BYTES) {
    throw new InvalidArgumentError(`expected ${MIN_BYTES} to ${MAX_BYTES} bytes; fewer than ${MIN_BYTES} bytes make a guessable key.`);
  }
  return value;
}
