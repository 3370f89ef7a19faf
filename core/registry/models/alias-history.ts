import type { Db } from '../../db/connect.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { audited, type Actor } from '../../access/audit.js';
import { modelChanged } from '../change-feed.js';
import { setAlias, type AliasMove } from './aliases.js';

/** An alias' moves are its audit events: each `model.alias.set` says `from` and `to`. */
async function lastMoveTo(db: Db, model: string, alias: string, version: number, actor?: string) {
  let q = db
    .selectFrom('events')
    .select(['id', 'details'])
    .where('action', '=', 'model.alias.set')
    .where('resource_type', '=', 'model_alias')
    .where('resource_id', '=', `${model}@${alias}`);
  if (actor !== undefined) q = q.where('actor', '=', actor);
  const rows = await q.orderBy('id', 'desc').execute();
  const hit = rows.find((r) => (r.details as { to?: unknown }).to === version);
  if (!hit) return undefined;
  const from = (hit.details as { from?: unknown }).from;
  return { previous: typeof from === 'number' ? from : null };
}

/**
 * Moves an alias for a pipeline, idempotently: a retry that finds the alias already moved by the
 * same actor reports the previous holder that first move recorded.
 */
export async function moveAliasRecorded(
  db: Db,
  model: string,
  alias: string,
  version: number,
  by: Actor,
): Promise<{ previous: number | null; changed: boolean }> {
  const move: AliasMove = await setAlias(db, model, alias, version, by);
  if (move.changed) return { previous: move.previousVersion, changed: true };
  const earlier = await lastMoveTo(db, model, alias, version, by.actor);
  return { previous: earlier ? earlier.previous : move.previousVersion, changed: false };
}

/**
 * Moves an alias back to the version its current version replaced (as its last move to the current
 * version recorded). Repeated, it walks further back. 409 when there is no previous holder.
 */
export async function rollbackAlias(
  db: Db,
  model: string,
  alias: string,
  by: Actor,
): Promise<{ model: string; alias: string; version: number; rolledBackFrom: number }> {
  return audited(db, by, async (uow) => {
    const { trx } = uow;
    const m = await trx.selectFrom('models').select('status').where('name', '=', model).forUpdate().executeTakeFirst();
    if (!m) throw new NotFoundError('model', model);
    const cur = await trx
      .selectFrom('model_aliases')
      .select('version')
      .where('model', '=', model)
      .where('alias', '=', alias)
      .executeTakeFirst();
    if (!cur) throw new NotFoundError('alias', `${model}@${alias}`);
    const move = await lastMoveTo(trx, model, alias, cur.version);
    if (move?.previous === null || move?.previous === undefined) {
      throw new ConflictError(`${model}@${alias} has no previous holder to roll back to (it points at ${cur.version})`);
    }
    const target = await trx
      .selectFrom('model_versions')
      .select('status')
      .where('model', '=', model)
      .where('version', '=', move.previous)
      .executeTakeFirst();
    if (!target || target.status === 'archived') {
      throw new ConflictError(`${model}/${move.previous}, the previous holder of ${alias}, is archived or gone`);
    }
    await trx
      .updateTable('model_aliases')
      .set({ version: move.previous, updated_by: by.actor, updated_at: new Date() })
      .where('model', '=', model)
      .where('alias', '=', alias)
      .execute();
    await uow.audit('model.alias.rollback', 'model_alias', `${model}@${alias}`, {
      alias,
      from: cur.version,
      to: move.previous,
    });
    await modelChanged(uow, model);
    return { model, alias, version: move.previous, rolledBackFrom: cur.version };
  });
}
