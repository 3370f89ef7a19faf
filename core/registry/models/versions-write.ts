import type { ArtifactRef } from '../../artifacts/store.js';
import type { Db } from '../../db/connect.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { audited, type Actor } from '../../access/audit.js';
import { modelChanged } from '../change-feed.js';
import { isUniqueViolation } from '../db-errors.js';
import type { Tags } from '../names.js';
import { findVersion, type ModelVersion, requireVersion } from './versions-read.js';

export interface NewVersion {
  model: string;
  artifact: ArtifactRef;
  format: string;
  producer?: { runId: string; stepId: string; output: string | null } | null;
  image?: string | null;
  description?: string | null;
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
  signature?: unknown;
  tags?: Tags;
  /** Dataset versions it was trained on (must exist). */
  datasets?: Array<{ name: string; version: number }>;
  /** A retried registration with the same key returns the first version instead of creating another. */
  idempotencyKey?: string | null;
}

export interface Registered {
  version: ModelVersion;
  created: boolean;
  modelCreated: boolean;
}

async function replay(db: Db, v: NewVersion): Promise<Registered | undefined> {
  if (!v.idempotencyKey) return undefined;
  const row = await db
    .selectFrom('model_versions')
    .select(['version', 'artifact_sha256'])
    .where('model', '=', v.model)
    .where('idempotency_key', '=', v.idempotencyKey)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.artifact_sha256 !== v.artifact.sha256) {
    throw new ConflictError(
      `idempotency key ${JSON.stringify(v.idempotencyKey)} already registered ${v.model}/${row.version} ` +
        'with a different artifact; use a new key for a new version',
    );
  }
  return { version: (await findVersion(db, v.model, { version: row.version }))!, created: false, modelCreated: false };
}

/** The version row with its metrics (a table, for metric search) and training datasets. */
async function insertVersion(trx: Db, v: NewVersion, version: number, actor: string): Promise<void> {
  await trx
    .insertInto('model_versions')
    .values({
      model: v.model,
      version,
      format: v.format,
      description: v.description ?? null,
      artifact_uri: v.artifact.uri,
      artifact_sha256: v.artifact.sha256,
      artifact_size: v.artifact.size,
      artifact_kind: v.artifact.kind,
      metrics: JSON.stringify(v.metrics ?? {}),
      params: JSON.stringify(v.params ?? {}),
      signature: v.signature === undefined || v.signature === null ? null : JSON.stringify(v.signature),
      tags: JSON.stringify(v.tags ?? {}),
      run_id: v.producer?.runId ?? null,
      step_id: v.producer?.stepId ?? null,
      output_name: v.producer?.output ?? null,
      image: v.image ?? null,
      idempotency_key: v.idempotencyKey ?? null,
      created_by: actor,
    })
    .execute();
  const metrics = Object.entries(v.metrics ?? {});
  if (metrics.length) {
    await trx
      .insertInto('model_version_metrics')
      .values(metrics.map(([name, value]) => ({ model: v.model, version, name, value })))
      .execute();
  }
  const datasets = v.datasets ?? [];
  if (datasets.length) {
    await trx
      .insertInto('model_version_datasets')
      .values(datasets.map((d) => ({ model: v.model, version, dataset: d.name, dataset_version: d.version })))
      .onConflict((oc) => oc.doNothing())
      .execute();
  }
}

/**
 * Registers the next version of a model, creating the model on first registration. The number comes
 * from bumping `models.next_version` in the same transaction as the insert: the row lock serialises
 * concurrent registrations on PostgreSQL, and a rollback returns the number, so there are no gaps.
 */
export async function registerVersion(db: Db, v: NewVersion, by: Actor): Promise<Registered> {
  const replayed = await replay(db, v);
  if (replayed) return replayed;
  try {
    return await audited(db, by, async (uow) => {
      const { trx } = uow;
      const inserted = await trx
        .insertInto('models')
        .values({ name: v.model, created_by: by.actor })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      const bumped = await trx
        .updateTable('models')
        .set((eb) => ({ next_version: eb('next_version', '+', 1), updated_at: new Date() }))
        .where('name', '=', v.model)
        .where('status', '=', 'active')
        .returning('next_version')
        .executeTakeFirst();
      if (!bumped) throw new ConflictError(`model "${v.model}" is archived and takes no new versions`);
      const version = bumped.next_version - 1;
      await insertVersion(trx, v, version, by.actor);
      if (inserted) await uow.audit('model.create', 'model', v.model, { auto: true });
      await uow.audit('model.version.register', 'model_version', `${v.model}/${version}`, {
        sha256: v.artifact.sha256,
        runId: v.producer?.runId ?? null,
        stepId: v.producer?.stepId ?? null,
        idempotencyKey: v.idempotencyKey ?? null,
      });
      await modelChanged(uow, v.model);
      return {
        version: (await findVersion(trx, v.model, { version }))!,
        created: true,
        modelCreated: inserted !== undefined,
      };
    });
  } catch (err) {
    // Two concurrent retries with one key: the loser rolls back (returning its number) and replays the winner.
    // In a caller's transaction the failed insert has aborted it, so the caller rolls back and retries instead.
    if (!db.isTransaction && isUniqueViolation(err, 'model_versions_idempotency_uq')) {
      const again = await replay(db, v);
      if (again) return again;
    }
    throw err;
  }
}

/** Description and tags of a version are metadata; its artifact, metrics, params and lineage never change. */
export async function updateVersion(
  db: Db,
  model: string,
  version: number,
  patch: { description?: string | null; tags?: Tags },
  by: Actor,
): Promise<ModelVersion> {
  if (patch.description === undefined && patch.tags === undefined) return requireVersion(db, model, { version });
  return audited(db, by, async (uow) => {
    const res = await uow.trx
      .updateTable('model_versions')
      .set({
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.tags !== undefined ? { tags: JSON.stringify(patch.tags) } : {}),
      })
      .where('model', '=', model)
      .where('version', '=', version)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) await requireVersion(uow.trx, model, { version });
    await uow.audit('model.version.update', 'model_version', `${model}/${version}`, patch);
    await modelChanged(uow, model);
    return requireVersion(uow.trx, model, { version });
  });
}

/**
 * Archives a version (it stays downloadable and resolvable by number). A version an alias points to
 * is refused with 409 unless `force`, which removes those aliases in the same transaction.
 */
export async function archiveVersion(
  db: Db,
  model: string,
  version: number,
  opts: { force: boolean },
  by: Actor,
): Promise<ModelVersion> {
  return audited(db, by, async (uow) => {
    const { trx } = uow;
    // The model row lock orders this against alias moves, which take the same lock.
    const m = await trx.selectFrom('models').select('name').where('name', '=', model).forUpdate().executeTakeFirst();
    if (!m) throw new NotFoundError('model', model);
    const v = await trx
      .selectFrom('model_versions')
      .select('status')
      .where('model', '=', model)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!v) throw new NotFoundError('model version', `${model}/${version}`);
    if (v.status === 'archived') return requireVersion(trx, model, { version });
    const aliases = (
      await trx
        .selectFrom('model_aliases')
        .select('alias')
        .where('model', '=', model)
        .where('version', '=', version)
        .orderBy('alias')
        .execute()
    ).map((a) => a.alias);
    if (aliases.length && !opts.force) {
      throw new ConflictError(
        `${model}/${version} holds alias(es) ${aliases.join(', ')}; move them to another version first ` +
          'or archive with ?force=true to remove them',
      );
    }
    if (aliases.length) {
      await trx.deleteFrom('model_aliases').where('model', '=', model).where('version', '=', version).execute();
      for (const alias of aliases) {
        await uow.audit('model.alias.delete', 'model_alias', `${model}@${alias}`, {
          alias,
          from: version,
          to: null,
          reason: 'version archived',
        });
      }
    }
    await trx
      .updateTable('model_versions')
      .set({ status: 'archived', archived_at: new Date() })
      .where('model', '=', model)
      .where('version', '=', version)
      .execute();
    await uow.audit('model.version.archive', 'model_version', `${model}/${version}`, { removedAliases: aliases });
    await modelChanged(uow, model);
    return requireVersion(trx, model, { version });
  });
}
