import type { ArtifactRef } from '../../artifacts/store.js';
import type { Db } from '../../db/connect.js';
import type { DatasetVersionRow } from '../../db/tables/registry.js';
import { ConflictError, NotFoundError } from '../../errors.js';
import { audited, type Actor } from '../../access/audit.js';
import type { ColumnType } from '../profiling/column-stats.js';
import type { DatasetStats } from '../profiling/csv-stats.js';
import { isUniqueViolation } from '../db-errors.js';
import { tagConditions } from '../tag-conditions.js';
import type { TagFilter, Tags } from '../names.js';
import { datasetVersionUri } from '../uris.js';

export interface DatasetSchema {
  columns: Array<{ name: string; type: ColumnType }>;
}

export interface DatasetVersion {
  dataset: string;
  version: number;
  uri: string;
  description: string | null;
  format: string;
  artifact: ArtifactRef;
  rowCount: number | null;
  schema: DatasetSchema | null;
  hasStats: boolean;
  sourceUri: string | null;
  tags: Tags;
  lineage: { runId: string | null; stepId: string | null; output: string | null };
  createdBy: string | null;
  createdAt: string;
}

export function toDatasetVersion(r: Omit<DatasetVersionRow, 'stats'> & { has_stats: unknown }): DatasetVersion {
  return {
    dataset: r.dataset,
    version: r.version,
    uri: datasetVersionUri(r.dataset, r.version),
    description: r.description,
    format: r.format,
    artifact: { uri: r.artifact_uri, sha256: r.digest, size: Number(r.size), kind: r.artifact_kind },
    rowCount: r.row_count === null ? null : Number(r.row_count),
    schema: (r.schema ?? null) as DatasetSchema | null,
    hasStats: Boolean(r.has_stats),
    sourceUri: r.source_uri,
    tags: r.tags as Tags,
    lineage: { runId: r.run_id, stepId: r.step_id, output: r.output_name },
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
  };
}

/** Every column but `stats` (which can be large): fetched on its own by `getDatasetStats`. */
function selectDatasetVersions(db: Db) {
  return db
    .selectFrom('dataset_versions as dv')
    .select([
      'dv.dataset',
      'dv.version',
      'dv.description',
      'dv.format',
      'dv.artifact_uri',
      'dv.digest',
      'dv.size',
      'dv.artifact_kind',
      'dv.row_count',
      'dv.schema',
      'dv.source_uri',
      'dv.tags',
      'dv.run_id',
      'dv.step_id',
      'dv.output_name',
      'dv.idempotency_key',
      'dv.created_by',
      'dv.created_at',
    ])
    .select((eb) => eb('dv.stats', 'is not', null).as('has_stats'));
}

export interface NewDatasetVersion {
  dataset: string;
  artifact: ArtifactRef;
  format: string;
  producer?: { runId: string; stepId: string; output: string | null } | null;
  description?: string | null;
  schema?: DatasetSchema | null;
  stats?: DatasetStats | null;
  sourceUri?: string | null;
  tags?: Tags;
  idempotencyKey?: string | null;
}

async function replay(
  db: Db,
  d: NewDatasetVersion,
): Promise<{ version: DatasetVersion; created: boolean } | undefined> {
  if (!d.idempotencyKey) return undefined;
  const row = await selectDatasetVersions(db)
    .where('dv.dataset', '=', d.dataset)
    .where('dv.idempotency_key', '=', d.idempotencyKey)
    .executeTakeFirst();
  if (!row) return undefined;
  if (row.digest !== d.artifact.sha256) {
    throw new ConflictError(
      `idempotency key ${JSON.stringify(d.idempotencyKey)} already registered ${d.dataset}/${row.version} with different content`,
    );
  }
  return { version: toDatasetVersion(row), created: false };
}

/** Same allocation as model versions: bump the counter row and insert in one transaction. */
export async function registerDatasetVersion(
  db: Db,
  d: NewDatasetVersion,
  by: Actor,
): Promise<{ version: DatasetVersion; created: boolean }> {
  const replayed = await replay(db, d);
  if (replayed) return replayed;
  try {
    return await audited(db, by, async (uow) => {
      const { trx } = uow;
      const inserted = await trx
        .insertInto('datasets')
        .values({ name: d.dataset, created_by: by.actor })
        .onConflict((oc) => oc.column('name').doNothing())
        .returning('name')
        .executeTakeFirst();
      const bumped = await trx
        .updateTable('datasets')
        .set((eb) => ({ next_version: eb('next_version', '+', 1), updated_at: new Date() }))
        .where('name', '=', d.dataset)
        .returning('next_version')
        .executeTakeFirstOrThrow();
      const v = bumped.next_version - 1;
      const rowCount = d.stats?.rowCount ?? null;
      await trx
        .insertInto('dataset_versions')
        .values({
          dataset: d.dataset,
          version: v,
          description: d.description ?? null,
          format: d.format,
          artifact_uri: d.artifact.uri,
          digest: d.artifact.sha256,
          size: d.artifact.size,
          artifact_kind: d.artifact.kind,
          row_count: rowCount,
          schema: d.schema ? JSON.stringify(d.schema) : null,
          stats: d.stats ? JSON.stringify(d.stats) : null,
          source_uri: d.sourceUri ?? null,
          tags: JSON.stringify(d.tags ?? {}),
          run_id: d.producer?.runId ?? null,
          step_id: d.producer?.stepId ?? null,
          output_name: d.producer?.output ?? null,
          idempotency_key: d.idempotencyKey ?? null,
          created_by: by.actor,
        })
        .execute();
      if (inserted) await uow.audit('dataset.create', 'dataset', d.dataset, { auto: true });
      await uow.audit('dataset.version.register', 'dataset_version', `${d.dataset}/${v}`, {
        sha256: d.artifact.sha256,
        runId: d.producer?.runId ?? null,
        rowCount,
      });
      return { version: (await findDatasetVersion(trx, d.dataset, { version: v }))!, created: true };
    });
  } catch (err) {
    // As for model versions: a concurrent retry with the same key lost the race; a caller's transaction is aborted.
    if (!db.isTransaction && isUniqueViolation(err, 'dataset_versions_idempotency_uq')) {
      const again = await replay(db, d);
      if (again) return again;
    }
    throw err;
  }
}

export async function findDatasetVersion(
  db: Db,
  name: string,
  ref: { version: number } | { alias: 'latest' },
): Promise<DatasetVersion | undefined> {
  let q = selectDatasetVersions(db).where('dv.dataset', '=', name);
  q = 'version' in ref ? q.where('dv.version', '=', ref.version) : q.orderBy('dv.version', 'desc').limit(1);
  const row = await q.executeTakeFirst();
  return row ? toDatasetVersion(row) : undefined;
}

export async function requireDatasetVersion(
  db: Db,
  name: string,
  ref: { version: number } | { alias: 'latest' },
): Promise<DatasetVersion> {
  const v = await findDatasetVersion(db, name, ref);
  if (v) return v;
  const d = await db.selectFrom('datasets').select('name').where('name', '=', name).executeTakeFirst();
  if (!d) throw new NotFoundError('dataset', name);
  throw new NotFoundError('dataset version', 'version' in ref ? `${name}/${ref.version}` : `${name}@latest`);
}

export async function listDatasetVersions(
  db: Db,
  name: string,
  f: { tags?: TagFilter[]; before?: number; limit: number },
) {
  const d = await db.selectFrom('datasets').select('name').where('name', '=', name).executeTakeFirst();
  if (!d) throw new NotFoundError('dataset', name);
  let q = selectDatasetVersions(db).where('dv.dataset', '=', name);
  for (const c of tagConditions('dv.tags', f.tags)) q = q.where(c);
  if (f.before !== undefined) q = q.where('dv.version', '<', f.before);
  const rows = await q
    .orderBy('dv.version', 'desc')
    .limit(f.limit + 1)
    .execute();
  const page = rows.slice(0, f.limit);
  return { items: page.map(toDatasetVersion), nextCursor: rows.length > f.limit ? String(page.at(-1)!.version) : null };
}

export async function getDatasetStats(db: Db, name: string, version: number): Promise<DatasetStats | null> {
  await requireDatasetVersion(db, name, { version });
  const row = await db
    .selectFrom('dataset_versions')
    .select('stats')
    .where('dataset', '=', name)
    .where('version', '=', version)
    .executeTakeFirstOrThrow();
  return (row.stats ?? null) as DatasetStats | null;
}
