/**
 * Rewrites JSON text into the normal form of DuckDB's `json()` function (DuckDB 1.5, which
 * uses yyjson), so the snapshot and binlog paths store byte-identical JSON:
 * - no whitespace between tokens, object keys in source order, duplicate keys kept;
 * - strings re-escaped: `"`, `\`, `\b \f \n \r \t`, other control characters as `\u00XX`
 *   (upper-case hex), everything else raw, so `\/` becomes `/` and `\u00e9` becomes `é`;
 * - integers keep every digit (values beyond 64 bits too); `-0` becomes `0`;
 * - other numbers become the shortest round-trip double, in decimal notation with at least one
 *   fraction digit (`100.0`) for exponents -6 to 20, else as `1.5e300` / `1e-7`. A number that
 *   overflows a double keeps its source text (`1e400`).
 * A differential test checks this against DuckDB's own `json()`.
 */
export function canonicalJson(text: string): string {
  const parser = new JsonRewriter(text);
  parser.skipWhitespace();
  parser.value();
  parser.skipWhitespace();
  if (parser.position !== text.length) parser.fail('unexpected text after the JSON value');
  return parser.output;
}

export class InvalidJsonError extends Error {
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(`invalid JSON at character ${position}: ${message}`);
    this.name = 'InvalidJsonError';
  }
}

const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?/y;
const PLAIN_STRING_RUN = /[^"\\\u0000-\u001f]*/y;
const SIMPLE_ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

class JsonRewriter {
  position = 0;
  output = '';

  constructor(private readonly text: string) {}

  fail(message: string): never {
    throw new InvalidJsonError(message, this.position);
  }

  skipWhitespace(): void {
    const text = this.text;
    let position = this.position;
    while (position < text.length) {
      const code = text.charCodeAt(position);
      if (code !== 0x20 && code !== 0x0a && code !== 0x0d && code !== 0x09) break;
      position += 1;
    }
    this.position = position;
  }

  value(): void {
    const char = this.text[this.position];
    if (char === '{') this.object();
    else if (char === '[') this.array();
    else if (char === '"') this.output += escapeJsonString(this.string());
    else if (char === 't') this.literal('true');
    else if (char === 'f') this.literal('false');
    else if (char === 'n') this.literal('null');
    else this.number();
  }

  private object(): void {
    this.position += 1;
    this.output += '{';
    this.skipWhitespace();
    if (this.text[this.position] === '}') {
      this.position += 1;
      this.output += '}';
      return;
    }
    for (;;) {
      if (this.text[this.position] !== '"') this.fail('expected an object key');
      this.output += escapeJsonString(this.string());
      this.skipWhitespace();
      if (this.text[this.position] !== ':') this.fail('expected ":" after an object key');
      this.position += 1;
      this.output += ':';
      this.skipWhitespace();
      this.value();
      this.skipWhitespace();
      if (this.closeOrContinue('}')) return;
      this.skipWhitespace();
    }
  }

  private array(): void {
    this.position += 1;
    this.output += '[';
    this.skipWhitespace();
    if (this.text[this.position] === ']') {
      this.position += 1;
      this.output += ']';
      return;
    }
    for (;;) {
      this.value();
      this.skipWhitespace();
      if (this.closeOrContinue(']')) return;
      this.skipWhitespace();
    }
  }

  /** Consumes `,` (returns false) or the closing bracket (returns true). */
  private closeOrContinue(closing: string): boolean {
    const char = this.text[this.position];
    this.position += 1;
    if (char === ',') {
      this.output += ',';
      return false;
    }
    if (char === closing) {
      this.output += closing;
      return true;
    }
    this.position -= 1;
    return this.fail(`expected "," or "${closing}"`);
  }

  private literal(word: string): void {
    if (!this.text.startsWith(word, this.position)) this.fail('expected a value');
    this.position += word.length;
    this.output += word;
  }

  private number(): void {
    NUMBER.lastIndex = this.position;
    const match = NUMBER.exec(this.text);
    if (!match || match[0].length === 0 || match[0] === '-') this.fail('expected a value');
    const token = match[0];
    this.position += token.length;
    const isInteger = match[1] === undefined && match[2] === undefined;
    if (!isInteger) this.output += formatReal(token);
    else if (token === '-0') this.output += '0';
    else this.output += token;
  }

  /** Reads a string token and returns its decoded value. */
  private string(): string {
    const text = this.text;
    this.position += 1;
    let decoded = '';
    for (;;) {
      PLAIN_STRING_RUN.lastIndex = this.position;
      const run = PLAIN_STRING_RUN.exec(text)?.[0] ?? '';
      decoded += run;
      this.position += run.length;

      const char = text[this.position];
      if (char === '"') {
        this.position += 1;
        return decoded;
      }
      if (char === undefined) this.fail('unterminated string');
      if (char !== '\\') this.fail('control character inside a string');
      decoded += this.escapeSequence();
    }
  }

  private escapeSequence(): string {
    const kind = this.text[this.position + 1] ?? '';
    const simple = SIMPLE_ESCAPES[kind];
    if (simple !== undefined) {
      this.position += 2;
      return simple;
    }
    if (kind !== 'u') this.fail(`invalid escape "\\${kind}"`);

    const high = this.hexUnit(this.position + 2);
    this.position += 6;
    if (high >= 0xdc00 && high <= 0xdfff) this.fail('lone low surrogate in string');
    if (high < 0xd800 || high > 0xdbff) return String.fromCharCode(high);

    // A high surrogate must be followed by an escaped low surrogate, as yyjson requires.
    if (this.text[this.position] !== '\\' || this.text[this.position + 1] !== 'u') this.fail('no low surrogate in string');
    const low = this.hexUnit(this.position + 2);
    if (low < 0xdc00 || low > 0xdfff) this.fail('no low surrogate in string');
    this.position += 6;
    return String.fromCharCode(high, low);
  }

  private hexUnit(start: number): number {
    const hex = this.text.slice(start, start + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail('invalid \\u escape');
    return Number.parseInt(hex, 16);
  }
}

/** Escapes a decoded string the way yyjson writes it without extra flags. */
export function escapeJsonString(value: string): string {
  let output = '"';
  let runStart = 0;
  for (let index = 0; index < value.length; index += 1) {
    const code = value.charCodeAt(index);
    if (code >= 0x20 && code !== 0x22 && code !== 0x5c) continue;
    output += value.slice(runStart, index) + escapeCharacter(code);
    runStart = index + 1;
  }
  return `${output}${value.slice(runStart)}"`;
}

function escapeCharacter(code: number): string {
  switch (code) {
    case 0x22:
      return '\\"';
    case 0x5c:
      return '\\\\';
    case 0x08:
      return '\\b';
    case 0x0c:
      return '\\f';
    case 0x0a:
      return '\\n';
    case 0x0d:
      return '\\r';
    case 0x09:
      return '\\t';
    default:
      return `\\u${code.toString(16).toUpperCase().padStart(4, '0')}`;
  }
}

/** Formats a JSON number with a fraction or exponent as yyjson writes the parsed double. */
function formatReal(token: string): string {
  const value = Number(token);
  if (!Number.isFinite(value)) return token;
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';

  // toExponential() without an argument gives the shortest digits that round-trip.
  const [mantissa = '', exponentText = '0'] = Math.abs(value).toExponential().split('e');
  const digits = mantissa.replace('.', '');
  const exponent = Number(exponentText);
  const sign = value < 0 ? '-' : '';

  if (exponent < -6 || exponent > 20) {
    const fraction = digits.length > 1 ? `.${digits.slice(1)}` : '';
    return `${sign}${digits[0]}${fraction}e${exponent}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (exponent >= digits.length - 1) return `${sign}${digits}${'0'.repeat(exponent - digits.length + 1)}.0`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}
