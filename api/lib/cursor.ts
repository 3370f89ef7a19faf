import { CursorNotFoundError } from '../../core/errors.js';

/** Opaque keyset cursors: base64url JSON, so clients cannot depend on their content. */
export function encodeCursor(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

export function decodeCursor<T>(cursor: string, check: (v: unknown) => v is T): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!check(value)) throw new CursorNotFoundError('not a cursor returned by this API');
  return value;
}
