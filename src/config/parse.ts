import type { VariableKind, VariableSpec } from './variables.js';

export type ParsedValue = string | number | boolean | string[] | null;

export interface ConfigProblem {
  variable: string;
  message: string;
}

const TRUE_WORDS = new Set(['true', '1', 'yes']);
const FALSE_WORDS = new Set(['false', '0', 'no']);
const SIZE_PATTERN = /^(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$/i;
const DURATION_PATTERN = /^(\d+)(s|m|h|d)?$/;

/** Shows a value in a message; secrets are masked so a typo report never leaks them. */
export function displayValue(spec: VariableSpec, raw: string): string {
  if (spec.kind.type === 'secret') return raw.length === 0 ? '(empty)' : '***';
  return JSON.stringify(raw);
}

/**
 * Parses one raw variable. Empty text means "unset" and yields the default (itself parsed), or
 * null when the variable has no default.
 */
export function parseVariable(spec: VariableSpec, raw: string | undefined): ParsedValue | ConfigProblem {
  const text = (raw ?? '').trim();
  if (text === '') return spec.default === '' ? defaultForEmpty(spec.kind) : parseText(spec, spec.default);
  return parseText(spec, text);
}

function defaultForEmpty(kind: VariableKind): ParsedValue {
  return kind.type === 'list' ? [] : null;
}

function parseText(spec: VariableSpec, text: string): ParsedValue | ConfigProblem {
  const kind = spec.kind;
  const problem = (expected: string): ConfigProblem => ({
    variable: spec.name,
    message: `${spec.name}=${displayValue(spec, text)} is invalid: expected ${expected}`,
  });

  switch (kind.type) {
    case 'string':
    case 'secret':
      return text;
    case 'bool': {
      const lower = text.toLowerCase();
      if (TRUE_WORDS.has(lower)) return true;
      if (FALSE_WORDS.has(lower)) return false;
      return problem('true/false, 1/0 or yes/no');
    }
    case 'int':
    case 'number': {
      const isInteger = kind.type === 'int';
      const valid = isInteger ? /^-?\d+$/.test(text) : /^-?\d+(\.\d+)?$/.test(text);
      const range = rangeText(kind.min, kind.max);
      const expected = `${isInteger ? 'an integer' : 'a number'}${range}`;
      if (!valid) return problem(expected);
      const value = Number(text);
      if (kind.min !== undefined && value < kind.min) return problem(expected);
      if (kind.max !== undefined && value > kind.max) return problem(expected);
      return value;
    }
    case 'list':
      return text.split(',').map((item) => item.trim()).filter((item) => item.length > 0);
    case 'enum':
      if (kind.values.includes(text)) return text;
      return problem(`one of ${kind.values.join(', ')}`);
    case 'size':
      if (SIZE_PATTERN.test(text)) return text.replace(/\s+/g, '');
      return problem('a size such as 512MB or 2GB');
    case 'duration': {
      const match = DURATION_PATTERN.exec(text);
      if (!match) return problem('<n>s, <n>m, <n>h, <n>d or a number of seconds');
      return text;
    }
  }
}

function rangeText(min?: number, max?: number): string {
  if (min !== undefined && max !== undefined) return ` from ${min} to ${max}`;
  if (min !== undefined) return ` of at least ${min}`;
  if (max !== undefined) return ` of at most ${max}`;
  return '';
}

export function isProblem(value: ParsedValue | ConfigProblem): value is ConfigProblem {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && 'variable' in value;
}

/** Converts a DuckDB-style size such as `2GB` to bytes. */
export function sizeToBytes(size: string): number {
  const match = SIZE_PATTERN.exec(size);
  if (!match) throw new Error(`invalid size ${size}`);
  const units: Record<string, number> = {
    b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 1024, mib: 1024 ** 2, gib: 1024 ** 3, tib: 1024 ** 4,
  };
  return Math.round(Number(match[1]) * (units[match[2]!.toLowerCase()] ?? 1));
}

/** Converts `30m`, `1h`, `7d` or plain seconds to seconds. */
export function durationToSeconds(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (!match) throw new Error(`invalid duration ${text}`);
  const factor = { s: 1, m: 60, h: 3600, d: 86400 }[(match[2] ?? 's') as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * factor;
}
