/**
 * What text the metadata database can hold. PostgreSQL refuses NUL in `text` and `jsonb`, so a
 * NUL that reached a query would answer 500; names, ids and filters hold no control character
 * at all (U+0000–U+001F, U+007F).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const NO_CONTROL = /^[^\u0000-\u001f\u007f]*$/;
// eslint-disable-next-line no-control-regex -- matching NUL is the point
export const NO_NUL = /^[^\u0000]*$/;
export const NO_CONTROL_HINT = 'must not contain control characters (U+0000–U+001F, U+007F)';
export const NO_NUL_HINT = 'must not contain NUL (U+0000)';

/** The path of the first key or string in `v` holding a NUL (`[]` for `v` itself), or undefined. */
export function findNul(v: unknown, path: Array<string | number> = []): Array<string | number> | undefined {
  if (typeof v === 'string') return NO_NUL.test(v) ? undefined : path;
  if (Array.isArray(v)) {
    for (const [i, x] of v.entries()) {
      const found = findNul(x, [...path, i]);
      if (found) return found;
    }
    return undefined;
  }
  if (v && typeof v === 'object') {
    for (const [k, x] of Object.entries(v)) {
      if (!NO_NUL.test(k)) return [...path, k.replaceAll('\u0000', '\\u0000')];
      const found = findNul(x, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}
