/**
 * Finds the statement that an EXPLAIN explains. DuckDB's prepared statement reports only the type
 * EXPLAIN, and `EXPLAIN ANALYZE INSERT …` runs the INSERT, so the explained statement must be
 * classified too. This scanner skips the `EXPLAIN [ANALYZE|ANALYSE] [VERBOSE]` or
 * `EXPLAIN (options)` prefix and returns the rest, which DuckDB's parser then classifies.
 *
 * The scanner understands only a strict subset of the prefix syntax and returns null for anything
 * else, so it never has to agree with DuckDB on an ambiguous case: block comments that contain
 * `/*` (nesting), `--` comments that contain a carriage return, and option lists with anything but
 * words, commas, whitespace and simply quoted words are rejected.
 */

const PREFIX_KEYWORDS = new Set(['analyze', 'analyse', 'verbose']);

/** Returns the text after the EXPLAIN prefix, or null when the prefix is not understood. */
export function explainTarget(sql: string): string | null {
  let position = skipTrivia(sql, 0);
  if (position === null) return null;

  const first = readWord(sql, position);
  if (first.toLowerCase() !== 'explain') return null;
  position += first.length;

  for (;;) {
    const next = skipTrivia(sql, position);
    if (next === null) return null;
    position = next;
    if (sql[position] === '(') {
      const afterOptions = skipOptionList(sql, position);
      if (afterOptions === null) return null;
      return sql.slice(afterOptions);
    }
    const word = readWord(sql, position);
    if (!PREFIX_KEYWORDS.has(word.toLowerCase())) return sql.slice(position);
    position += word.length;
  }
}

function isWordCharacter(character: string | undefined): boolean {
  if (character === undefined) return false;
  const code = character.charCodeAt(0);
  return (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || character === '_';
}

function isWhitespace(character: string | undefined): boolean {
  return character === ' ' || character === '\t' || character === '\n' || character === '\r' || character === '\f' || character === '\v';
}

function readWord(sql: string, start: number): string {
  let end = start;
  while (isWordCharacter(sql[end])) end += 1;
  return sql.slice(start, end);
}

/** Skips whitespace and comments; null when a comment is one the scanner does not accept. */
function skipTrivia(sql: string, start: number): number | null {
  let position = start;
  for (;;) {
    while (isWhitespace(sql[position])) position += 1;
    if (sql.startsWith('--', position)) {
      const lineEnd = sql.indexOf('\n', position);
      const end = lineEnd === -1 ? sql.length : lineEnd;
      if (sql.slice(position, end).includes('\r')) return null;
      position = end;
      continue;
    }
    if (sql.startsWith('/*', position)) {
      const close = sql.indexOf('*/', position + 2);
      if (close === -1 || sql.slice(position + 2, close).includes('/*')) return null;
      position = close + 2;
      continue;
    }
    return position;
  }
}

/** Skips `( FORMAT json, ANALYZE )`; null when the list contains anything unexpected. */
function skipOptionList(sql: string, open: number): number | null {
  let position = open + 1;
  while (position < sql.length) {
    const character = sql[position]!;
    if (character === ')') return position + 1;
    if (character === "'" || character === '"') {
      const close = sql.indexOf(character, position + 1);
      if (close === -1) return null;
      const quoted = sql.slice(position + 1, close);
      if (![...quoted].every(isWordCharacter)) return null;
      position = close + 1;
      continue;
    }
    if (!isWordCharacter(character) && !isWhitespace(character) && character !== ',') return null;
    position += 1;
  }
  return null;
}
