import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { ModelRow, ModelStatus } from '../../db/tables/registry.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { audited, type Actor } from '../../access/audit.js';
import { modelChanged } from '../change-feed.js';
import { isUniqueViolation } from '../db-errors.js';
import { tagConditions } from '../tag-conditions.js';
import type { TagFilter, Tags } from '../names.js';

export interface Model {
  name: string;
  description: string | null;
  tags: Tags;
  status: ModelStatus;
  latestVersion: number | null;
  aliases: Record<string, number>;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toModel(row: ModelRow, aliases: Record<string, number>): Model {
  return {
    name: row.name,
    description: row.description,
    tags: row.tags as Tags,
    status: row.status,
    latestVersion: row.next_version > 1 ? row.next_version - 1 : null,
    aliases,
    createdBy: row.created_by,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

async function aliasesOf(db: Db, names: string[]): Promise<Map<string, Record<string, number>>> {
  const out = new Map<string, Record<string, number>>(names.map((n) => [n, {}]));
  if (names.length === 0) return out;
  const rows = await db
    .selectFrom('model_aliases')
    .select(['model', 'alias', 'version'])
    .where('model', 'in', names)
    .orderBy('alias')
    .execute();
  for (const r of rows) out.get(r.model)![r.alias] = r.version;
  return out;
}

export async function createModel(
  db: Db,
  m: { name: string; description?: string | null; tags?: Tags },
  by: Actor,
): Promise<Model> {
  try {
    return await audited(db, by, async (uow) => {
      const row = await uow.trx
        .insertInto('models')
        .values({
          name: m.name,
          description: m.description ?? null,
          tags: JSON.stringify(m.tags ?? {}),
          created_by: by.actor,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await uow.audit('model.create', 'model', m.name, { description: m.description ?? null, tags: m.tags ?? {} });
      return toModel(row, {});
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`model "${m.name}" already exists`);
    throw err;
  }
}

export async function getModel(db: Db, name: string): Promise<Model | undefined> {
  const row = await db.selectFrom('models').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toModel(row, (await aliasesOf(db, [name])).get(name)!) : undefined;
}

export async function requireModel(db: Db, name: string): Promise<Model> {
  const m = await getModel(db, name);
  if (!m) throw new NotFoundError('model', name);
  return m;
}

export interface ModelFilter {
  prefix?: string;
  tags?: TagFilter[];
  /** Only models that have this alias set. */
  alias?: string;
  status?: ModelStatus | 'all';
  /** Names after this one (cursor). */
  after?: string;
  limit: number;
}

export async function listModels(db: Db, f: ModelFilter): Promise<{ items: Model[]; nextCursor: string | null }> {
  let q = db.selectFrom('models').selectAll();
  if (f.prefix) q = q.where(sql<boolean>`starts_with(name, ${f.prefix})`);
  for (const c of tagConditions('tags', f.tags)) q = q.where(c);
  if (f.alias) {
    const alias = f.alias;
    q = q.where((eb) =>
      eb.exists(
        eb
          .selectFrom('model_aliases')
          .select(sql`1`.as('one'))
          .whereRef('model_aliases.model', '=', 'models.name')
          .where('model_aliases.alias', '=', alias),
      ),
    );
  }
  const status = f.status ?? 'active';
  if (status !== 'all') q = q.where('status', '=', status);
  if (f.after) q = q.where('name', '>', f.after);
  const rows = await q
    .orderBy('name')
    .limit(f.limit + 1)
    .execute();
  const page = rows.slice(0, f.limit);
  const aliases = await aliasesOf(
    db,
    page.map((r) => r.name),
  );
  return {
    items: page.map((r) => toModel(r, aliases.get(r.name)!)),
    nextCursor: rows.length > f.limit ? page.at(-1)!.name : null,
  };
}

/** Description and tags are metadata: they change; `tags` replaces the whole map. */
export async function updateModel(
  db: Db,
  name: string,
  patch: { description?: string | null; tags?: Tags },
  by: Actor,
): Promise<Model> {
  return audited(db, by, async (uow) => {
    const res = await uow.trx
      .updateTable('models')
      .set({
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
        updated_at: new Date(),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new NotFoundError('model', name);
    await uow.audit('model.update', 'model', name, patch);
    return requireModel(uow.trx, name);
  });
}

/**
 * An archived model takes no new versions and no alias changes; its versions stay resolvable by number.
 * Aliases must be removed first, or `force` removes them (each removal audited).
 */
export async function archiveModel(db: Db, name: string, opts: { force: boolean }, by: Actor): Promise<Model> {
  return audited(db, by, async (uow) => {
    const { trx } = uow;
    const m = await trx.selectFrom('models').select('status').where('name', '=', name).forUpdate().executeTakeFirst();
    if (!m) throw new NotFoundError('model', name);
    if (m.status === 'archived') return requireModel(trx, name);
    const aliases = await trx
      .selectFrom('model_aliases')
      .select(['alias', 'version'])
      .where('model', '=', name)
      .execute();
    if (aliases.length && !opts.force) {
      throw new ConflictError(
        `model "${name}" still has alias(es) ${aliases.map((a) => a.alias).join(', ')}; ` +
          'delete them first or archive with ?force=true to remove them',
      );
    }
    await trx.deleteFrom('model_aliases').where('model', '=', name).execute();
    for (const a of aliases)
      await uow.audit('model.alias.delete', 'model_alias', `${name}@${a.alias}`, {
        alias: a.alias,
        from: a.version,
        to: null,
        reason: 'model archived',
      });
    await trx
      .updateTable('models')
      .set({ status: 'archived', updated_at: new Date() })
      .where('name', '=', name)
      .execute();
    await uow.audit('model.archive', 'model', name, { removedAliases: aliases.map((a) => a.alias) });
    await modelChanged(uow, name);
    return requireModel(trx, name);
  });
}
