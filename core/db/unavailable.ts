/**
 * One answer to "is this error the metadata database being unreachable?" (as opposed to a query
 * that is wrong): the API turns such errors into 503 with Retry-After, and a caller may retry them.
 *
 * Raw network errors (ECONNREFUSED, ECONNRESET, a connect timeout) say nothing about *which*
 * service failed, so they count only once `markDatabaseUnavailable` has tagged them: openDb does
 * so for every failure to get a connection and for every error a pooled connection reports.
 * PostgreSQL's own connection-class errors are recognised by their SQLSTATE wherever they come from.
 */
const TAG = Symbol.for('sluice.databaseUnavailable');

/** SQLSTATE class 08 (connection exception), 57P01..57P03 (admin/crash shutdown, cannot connect now). */
const SQLSTATE = /^(08[0-9A-Z]{3}|57P0[123])$/;
/** What node-postgres says when a connection dies or cannot be had; pg-specific wording. */
const PG_MESSAGES =
  /^(Connection terminated|Client has encountered a connection error|timeout exceeded when trying to connect)/;

export function markDatabaseUnavailable<E>(err: E): E {
  if (err !== null && typeof err === 'object') (err as Record<symbol, unknown>)[TAG] = true;
  return err;
}

export function isDatabaseUnavailable(err: unknown, depth = 0): boolean {
  if (err === null || typeof err !== 'object' || depth > 5) return false;
  const e = err as { [TAG]?: boolean; code?: unknown; severity?: unknown; message?: unknown; cause?: unknown };
  if (e[TAG]) return true;
  // `severity` marks an error PostgreSQL itself sent (pg's DatabaseError), so the code is a SQLSTATE.
  if (typeof e.severity === 'string' && typeof e.code === 'string' && SQLSTATE.test(e.code)) return true;
  if (typeof e.message === 'string' && PG_MESSAGES.test(e.message)) return true;
  if (err instanceof AggregateError && err.errors.some((x) => isDatabaseUnavailable(x, depth + 1))) return true;
  return isDatabaseUnavailable(e.cause, depth + 1);
}
