// The part of autocannon 8's API the rate-limit benchmark uses; the package ships no type
// declarations and @types/autocannon is not a dependency.
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonOptions {
    url: string;
    headers?: Record<string, string>;
    connections?: number;
    /** Seconds. */
    duration?: number;
  }

  interface AutocannonResult {
    /** Connection errors and timeouts. */
    errors: number;
    /** Seconds the run lasted. */
    duration: number;
  }

  /** Emits `response` (client, status code, bytes, response time in ms) per response; resolves when the run ends. */
  interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {}

  export default function autocannon(options: AutocannonOptions): AutocannonInstance;
}
