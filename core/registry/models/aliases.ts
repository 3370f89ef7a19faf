import type { Db } from '../../db/connect.js';
import { ConflictError, NotFoundError, SluiceError, ValidationError } from '../../errors.js';
import { audited, type Actor } from '../../access/audit.js';
import { modelChanged } from '../change-feed.js';
import { RESERVED_ALIASES } from '../names.js';

export interface Alias {
  model: string;
  alias: string;
  version: number;
  updatedBy: string | null;
  updatedAt: string;
}

export interface AliasMove {
  alias: Alias;
  /** The version it pointed to before (null: the alias is new). */
  previousVersion: number | null;
  changed: boolean;
}

/**
 * Points `alias` at `version`: one transaction holding the model row lock, so concurrent moves
 * (and archivals) of the same model are serialised and each audit event's `from` is the previous
 * move's `to`. A no-op move changes nothing and audits nothing.
 */
export async function setAlias(db: Db, model: string, alias: string, version: number, by: Actor): Promise<AliasMove> {
  if (RESERVED_ALIASES.includes(alias))
    throw new ValidationError(`"${alias}" is reserved`, [
      { path: 'params.alias', message: `"${alias}" always means the newest version; choose another name` },
    ]);
  return audited(db, by, async (uow): Promise<AliasMove> => {
    const { trx } = uow;
    const m = await trx.selectFrom('models').select('status').where('name', '=', model).forUpdate().executeTakeFirst();
    if (!m) throw new NotFoundError('model', model);
    if (m.status === 'archived') throw new ConflictError(`model "${model}" is archived; its aliases cannot change`);
    const v = await trx
      .selectFrom('model_versions')
      .select('status')
      .where('model', '=', model)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!v)
      throw new SluiceError('not-found', 404, `model version ${model}/${version} does not exist`, [
        { path: 'body.version', message: `${model} has no version ${version}` },
      ]);
    if (v.status === 'archived') throw new ConflictError(`${model}/${version} is archived and cannot take an alias`);
    const old = await trx
      .selectFrom('model_aliases')
      .selectAll()
      .where('model', '=', model)
      .where('alias', '=', alias)
      .executeTakeFirst();
    if (old?.version === version) {
      return {
        alias: { model, alias, version, updatedBy: old.updated_by, updatedAt: old.updated_at.toISOString() },
        previousVersion: version,
        changed: false,
      };
    }
    const row = await trx
      .insertInto('model_aliases')
      .values({ model, alias, version, updated_by: by.actor, updated_at: new Date() })
      .onConflict((oc) =>
        oc.columns(['model', 'alias']).doUpdateSet((eb) => ({
          version: eb.ref('excluded.version'),
          updated_by: eb.ref('excluded.updated_by'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    await uow.audit('model.alias.set', 'model_alias', `${model}@${alias}`, {
      alias,
      from: old?.version ?? null,
      to: version,
    });
    await modelChanged(uow, model);
    return {
      alias: { model, alias, version: row.version, updatedBy: row.updated_by, updatedAt: row.updated_at.toISOString() },
      previousVersion: old?.version ?? null,
      changed: true,
    };
  });
}

/** Removes an alias; returns the version it pointed to. */
export async function deleteAlias(db: Db, model: string, alias: string, by: Actor): Promise<number> {
  return audited(db, by, async (uow) => {
    const { trx } = uow;
    const m = await trx.selectFrom('models').select('status').where('name', '=', model).forUpdate().executeTakeFirst();
    if (!m) throw new NotFoundError('model', model);
    const gone = await trx
      .deleteFrom('model_aliases')
      .where('model', '=', model)
      .where('alias', '=', alias)
      .returning('version')
      .executeTakeFirst();
    if (!gone) throw new NotFoundError('alias', `${model}@${alias}`);
    await uow.audit('model.alias.delete', 'model_alias', `${model}@${alias}`, { alias, from: gone.version, to: null });
    await modelChanged(uow, model);
    return gone.version;
  });
}

export async function listAliases(db: Db, model: string): Promise<Alias[]> {
  const m = await db.selectFrom('models').select('name').where('name', '=', model).executeTakeFirst();
  if (!m) throw new NotFoundError('model', model);
  const rows = await db.selectFrom('model_aliases').selectAll().where('model', '=', model).orderBy('alias').execute();
  return rows.map((r) => ({
    model,
    alias: r.alias,
    version: r.version,
    updatedBy: r.updated_by,
    updatedAt: r.updated_at.toISOString(),
  }));
}
