/** Ids that no database may get: `duckling` would name the default replica file `duckling.db`. */
export const RESERVED_DATABASE_IDS: ReadonlySet<string> = new Set(['duckling']);

const MAX_ID_LENGTH = 64;

/**
 * Derives a database id from a display name: lower-cased, every character outside a-z, 0-9 and _
 * replaced by `_`, and `db` when nothing is left. An id for which `isTaken` returns true, or a
 * reserved one, gets the first free suffix `_1`, `_2`… The result always matches
 * `^[a-z0-9_]{1,64}$`, because the base is shortened to leave room for the suffix.
 */
export function deriveDatabaseId(name: string, isTaken: (id: string) => boolean): string {
  const base = name.toLowerCase().replace(/[^a-z0-9_]/g, '_').slice(0, MAX_ID_LENGTH) || 'db';
  const collides = (id: string) => RESERVED_DATABASE_IDS.has(id) || isTaken(id);
  if (!collides(base)) return base;

  for (let suffix = 1; ; suffix += 1) {
    const tail = `_${suffix}`;
    const candidate = `${base.slice(0, MAX_ID_LENGTH - tail.length)}${tail}`;
    if (!collides(candidate)) return candidate;
  }
}
