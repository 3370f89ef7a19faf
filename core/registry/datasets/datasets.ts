import { sql } from 'kysely';
import type { Db } from '../../db/connect.js';
import type { DatasetRow } from '../../db/tables/registry.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { audited, type Actor } from '../../access/audit.js';
import { isUniqueViolation } from '../db-errors.js';
import { tagConditions } from '../tag-conditions.js';
import type { TagFilter, Tags } from '../names.js';

export interface Dataset {
  name: string;
  description: string | null;
  tags: Tags;
  latestVersion: number | null;
  createdBy: string | null;
  createdAt: string;
  updatedAt: string;
}

export function toDataset(r: DatasetRow): Dataset {
  return {
    name: r.name,
    description: r.description,
    tags: r.tags as Tags,
    latestVersion: r.next_version > 1 ? r.next_version - 1 : null,
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    updatedAt: r.updated_at.toISOString(),
  };
}

export async function createDataset(
  db: Db,
  d: { name: string; description?: string | null; tags?: Tags },
  by: Actor,
): Promise<Dataset> {
  try {
    return await audited(db, by, async (uow) => {
      const row = await uow.trx
        .insertInto('datasets')
        .values({
          name: d.name,
          description: d.description ?? null,
          tags: JSON.stringify(d.tags ?? {}),
          created_by: by.actor,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await uow.audit('dataset.create', 'dataset', d.name, { description: d.description ?? null, tags: d.tags ?? {} });
      return toDataset(row);
    });
  } catch (err) {
    if (isUniqueViolation(err)) throw new ConflictError(`dataset "${d.name}" already exists`);
    throw err;
  }
}

export async function getDataset(db: Db, name: string): Promise<Dataset | undefined> {
  const row = await db.selectFrom('datasets').selectAll().where('name', '=', name).executeTakeFirst();
  return row ? toDataset(row) : undefined;
}

export async function requireDataset(db: Db, name: string): Promise<Dataset> {
  const d = await getDataset(db, name);
  if (!d) throw new NotFoundError('dataset', name);
  return d;
}

export async function listDatasets(db: Db, f: { prefix?: string; tags?: TagFilter[]; after?: string; limit: number }) {
  let q = db.selectFrom('datasets').selectAll();
  if (f.prefix) q = q.where(sql<boolean>`starts_with(name, ${f.prefix})`);
  for (const c of tagConditions('tags', f.tags)) q = q.where(c);
  if (f.after) q = q.where('name', '>', f.after);
  const rows = await q
    .orderBy('name')
    .limit(f.limit + 1)
    .execute();
  const page = rows.slice(0, f.limit);
  return { items: page.map(toDataset), nextCursor: rows.length > f.limit ? page.at(-1)!.name : null };
}

export async function updateDataset(
  db: Db,
  name: string,
  patch: { description?: string | null; tags?: Tags },
  by: Actor,
): Promise<Dataset> {
  return audited(db, by, async (uow) => {
    const res = await uow.trx
      .updateTable('datasets')
      .set({
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
        updated_at: new Date(),
      })
      .where('name', '=', name)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw new NotFoundError('dataset', name);
    await uow.audit('dataset.update', 'dataset', name, patch);
    return requireDataset(uow.trx, name);
  });
}
