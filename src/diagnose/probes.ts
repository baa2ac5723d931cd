import type { SourceDatabase } from '../source/index.js';

/** The part of a source the checks use: one statement at a time, errors as the server sent them. */
export type Prober = Pick<SourceDatabase, 'probe'>;

/** Server error numbers of a refused statement: 1044, 1045, 1142, 1143, 1227 and 1370. */
const PRIVILEGE_ERRNO = new Set([1044, 1045, 1142, 1143, 1227, 1370]);

export function isPrivilegeError(error: unknown): boolean {
  const { errno, code } = (typeof error === 'object' && error !== null ? error : {}) as { errno?: number; code?: string };
  return (errno !== undefined && PRIVILEGE_ERRNO.has(errno)) || /ACCESS_DENIED|PRIVILEGE/.test(code ?? '');
}

/** Returns the error's message for a check detail. */
export function serverMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Global variables by lower-case name; a name the server lacks is absent. */
export type Variables = ReadonlyMap<string, string>;

/** Result of reading the global variables: the values, or why they could not be read. */
export type VariableRead = { ok: true; values: Variables } | { ok: false; reason: string };

/** Reads the named global variables in one statement; a refusal reads as "insufficient privileges". */
export async function readVariables(source: Prober, names: readonly string[]): Promise<VariableRead> {
  const placeholders = names.map(() => '?').join(', ');
  try {
    const rows = await source.probe(`SHOW GLOBAL VARIABLES WHERE Variable_name IN (${placeholders})`, names);
    const values = new Map<string, string>();
    for (const row of rows) values.set(String(row.Variable_name).toLowerCase(), String(row.Value ?? ''));
    return { ok: true, values };
  } catch (error) {
    const reason = isPrivilegeError(error) ? `insufficient privileges (${serverMessage(error)})` : serverMessage(error);
    return { ok: false, reason };
  }
}

/** Runs the first statement the server accepts; returns its rows, or the last error when none ran. */
export async function firstAccepted(
  source: Prober,
  statements: readonly string[],
): Promise<{ statement: string; rows: Record<string, unknown>[] } | { error: unknown }> {
  let lastError: unknown = null;
  for (const statement of statements) {
    try {
      return { statement, rows: await source.probe(statement) };
    } catch (error) {
      lastError = error;
      // The older spellings need the same privilege, so a privilege error ends the search. Other
      // errors, such as a syntax error on a server that predates the statement, try the next one.
      if (isPrivilegeError(error)) return { error };
    }
  }
  return { error: lastError };
}
