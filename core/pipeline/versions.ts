import type { Db } from '../db/connect.js';

export interface SavedVersion {
  pipeline: string;
  version: number;
  digest: string;
  /** False when a version with this digest already existed (nothing was written). */
  created: boolean;
  latestVersion: number;
}

/**
 * Saves `spec` as the next version of `name` unless a version with the same digest exists.
 * The pipeline row is locked (`FOR UPDATE`) for the allocation, so concurrent applies on
 * PostgreSQL get distinct versions; PGlite serialises transactions anyway. Given a transaction,
 * it writes inside it (the caller owns the commit); given the database, it opens its own.
 */
export async function savePipelineVersion(
  db: Db,
  v: { name: string; description?: string | null; digest: string; spec: unknown; createdBy?: string | null },
): Promise<SavedVersion> {
  const save = async (trx: Db): Promise<SavedVersion> => {
    await trx
      .insertInto('pipelines')
      .values({ name: v.name, latest_version: 0, description: v.description ?? null })
      .onConflict((oc) => oc.column('name').doNothing())
      .execute();
    const row = await trx
      .selectFrom('pipelines')
      .select('latest_version')
      .where('name', '=', v.name)
      .forUpdate()
      .executeTakeFirstOrThrow();
    const same = await trx
      .selectFrom('pipeline_versions')
      .select('version')
      .where('pipeline', '=', v.name)
      .where('digest', '=', v.digest)
      .executeTakeFirst();
    if (same)
      return {
        pipeline: v.name,
        version: same.version,
        digest: v.digest,
        created: false,
        latestVersion: row.latest_version,
      };
    const version = row.latest_version + 1;
    await trx
      .insertInto('pipeline_versions')
      .values({
        pipeline: v.name,
        version,
        digest: v.digest,
        spec: JSON.stringify(v.spec),
        created_by: v.createdBy ?? null,
      })
      .execute();
    await trx
      .updateTable('pipelines')
      .set({ latest_version: version, description: v.description ?? null, updated_at: new Date() })
      .where('name', '=', v.name)
      .execute();
    return { pipeline: v.name, version, digest: v.digest, created: true, latestVersion: version };
  };
  return db.isTransaction ? save(db) : db.transaction().execute(save);
}

export async function getPipeline(db: Db, name: string) {
  return db.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
}

/** A pinned version, or the latest when `version` is undefined. */
export async function getPipelineVersion(db: Db, name: string, version?: number) {
  let q = db
    .selectFrom('pipeline_versions as v')
    .innerJoin('pipelines as p', 'p.name', 'v.pipeline')
    .select(['v.pipeline', 'v.version', 'v.digest', 'v.spec', 'v.created_by', 'v.created_at', 'p.latest_version'])
    .where('v.pipeline', '=', name);
  q = version === undefined ? q.whereRef('v.version', '=', 'p.latest_version') : q.where('v.version', '=', version);
  return q.executeTakeFirst();
}

export async function getSpecByDigest(db: Db, name: string, digest: string): Promise<unknown> {
  const row = await db
    .selectFrom('pipeline_versions')
    .select('spec')
    .where('pipeline', '=', name)
    .where('digest', '=', digest)
    .executeTakeFirst();
  return row?.spec;
}

export async function listPipelines(db: Db, f: { after?: string; limit: number }) {
  let q = db.selectFrom('pipelines').selectAll().where('latest_version', '>', 0);
  if (f.after) q = q.where('name', '>', f.after);
  return q.orderBy('name').limit(f.limit).execute();
}

export async function listPipelineVersions(db: Db, name: string) {
  return db
    .selectFrom('pipeline_versions')
    .select(['pipeline', 'version', 'digest', 'created_by', 'created_at'])
    .where('pipeline', '=', name)
    .orderBy('version', 'desc')
    .execute();
}

/** Deletes the pipeline and its versions (runs keep their rows); false when it did not exist. */
export async function deletePipeline(db: Db, name: string): Promise<boolean> {
  const res = await db.deleteFrom('pipelines').where('name', '=', name).executeTakeFirst();
  return Number(res.numDeletedRows) > 0;
}
