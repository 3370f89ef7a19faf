import type { Db } from '../db/connect.js';
import { appendEvent } from './events.js';

/** Who is making a change: the API key's id (or a local operator) and the request it came with. */
export interface Actor {
  actor: string;
  requestId?: string;
}

/** One audited change: its writes, its audit events and its notifications commit together. */
export interface UnitOfWork {
  /** The transaction every write of the change goes through. */
  trx: Db;
  by: Actor;
  /** Appends an audit event by `by`, inside the transaction. */
  audit(action: string, resourceType: string, resourceId: string, details?: Record<string, unknown>): Promise<void>;
  /** Runs once the transaction has committed (in-process notifications); never on rollback. */
  onCommit(fn: () => void): void;
}

/** After-commit hooks of the units of work that opened their own transaction, by that transaction. */
const openedHere = new WeakMap<Db, Array<() => void>>();

/**
 * Opens the transaction of one audited change, hands it down, and runs the after-commit hooks
 * once it has committed. Called with a transaction already open, it joins it: the caller owns
 * the commit, so the hooks wait for the outer unit of work's commit (or, in a transaction opened
 * by hand, run when `fn` returns).
 */
export async function audited<T>(db: Db, by: Actor, fn: (uow: UnitOfWork) => Promise<T>): Promise<T> {
  const outer = openedHere.get(db);
  const hooks: Array<() => void> = outer ?? [];
  const work = (trx: Db) =>
    fn({
      trx,
      by,
      audit: (action, resourceType, resourceId, details = {}) =>
        appendEvent(trx, { actor: by.actor, requestId: by.requestId, action, resourceType, resourceId, details }),
      onCommit: (hook) => void hooks.push(hook),
    });
  if (outer) return work(db);
  const result = db.isTransaction
    ? await work(db)
    : await db.transaction().execute((trx) => {
        openedHere.set(trx, hooks);
        return work(trx);
      });
  for (const hook of hooks) hook();
  return result;
}
