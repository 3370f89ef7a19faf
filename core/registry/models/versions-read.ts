import { sql } from 'kysely';
import type { ArtifactRef } from '../../artifacts/store.js';
import type { Db } from '../../db/connect.js';
import type { ModelVersionRow, VersionStatus } from '../../db/tables/registry.js';
import { NotFoundError } from '../../errors.js';
import type { Tags } from '../names.js';
import { describeRef, modelVersionUri, type VersionRef } from '../uris.js';

export interface ModelVersion {
  model: string;
  version: number;
  /** `models:/<name>/<version>`: how pipelines and deployments refer to it. */
  uri: string;
  status: VersionStatus;
  description: string | null;
  format: string;
  artifact: ArtifactRef;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  signature: unknown;
  tags: Tags;
  aliases: string[];
  lineage: {
    runId: string | null;
    stepId: string | null;
    output: string | null;
    image: string | null;
    datasets: string[];
  };
  createdBy: string | null;
  createdAt: string;
  archivedAt: string | null;
}

type Row = ModelVersionRow & { aliases: unknown; datasets: unknown };

export function toVersion(r: Row): ModelVersion {
  return {
    model: r.model,
    version: r.version,
    uri: modelVersionUri(r.model, r.version),
    status: r.status,
    description: r.description,
    format: r.format,
    artifact: { uri: r.artifact_uri, sha256: r.artifact_sha256, size: Number(r.artifact_size), kind: r.artifact_kind },
    metrics: r.metrics as Record<string, number>,
    params: r.params as Record<string, unknown>,
    signature: r.signature ?? null,
    tags: r.tags as Tags,
    aliases: (r.aliases ?? []) as string[],
    lineage: {
      runId: r.run_id,
      stepId: r.step_id,
      output: r.output_name,
      image: r.image,
      datasets: (r.datasets ?? []) as string[],
    },
    createdBy: r.created_by,
    createdAt: r.created_at.toISOString(),
    archivedAt: r.archived_at?.toISOString() ?? null,
  };
}

/** Versions with their aliases and training datasets, in one statement (GET by alias is one query). */
export function selectVersions(db: Db) {
  return db
    .selectFrom('model_versions as v')
    .selectAll('v')
    .select((eb) => [
      eb
        .selectFrom('model_aliases as a')
        .whereRef('a.model', '=', 'v.model')
        .whereRef('a.version', '=', 'v.version')
        .select(sql<string[]>`coalesce(json_agg(a.alias ORDER BY a.alias), '[]'::json)`.as('x'))
        .as('aliases'),
      eb
        .selectFrom('model_version_datasets as d')
        .whereRef('d.model', '=', 'v.model')
        .whereRef('d.version', '=', 'v.version')
        .select(
          sql<
            string[]
          >`coalesce(json_agg('datasets:/' || d.dataset || '/' || d.dataset_version ORDER BY d.dataset, d.dataset_version), '[]'::json)`.as(
            'x',
          ),
        )
        .as('datasets'),
    ]);
}

/** A version by number, alias, or `latest` (the newest registered, i.e. not archived, version). */
export async function findVersion(db: Db, name: string, ref: VersionRef): Promise<ModelVersion | undefined> {
  let q = selectVersions(db).where('v.model', '=', name);
  if ('version' in ref) q = q.where('v.version', '=', ref.version);
  else if (ref.alias === 'latest') q = q.where('v.status', '=', 'registered').orderBy('v.version', 'desc').limit(1);
  else {
    // A scalar subquery pins the plan to two primary-key probes (alias, then version); a join let the
    // planner scan every version of the model while its statistics were stale.
    const alias = ref.alias;
    q = q.where('v.version', '=', (eb) =>
      eb
        .selectFrom('model_aliases as al')
        .select('al.version')
        .where('al.model', '=', name)
        .where('al.alias', '=', alias),
    );
  }
  const row = await q.executeTakeFirst();
  return row ? toVersion(row) : undefined;
}

/** Like findVersion, but a miss says whether the model, the version or the alias is what is missing. */
export async function requireVersion(db: Db, name: string, ref: VersionRef): Promise<ModelVersion> {
  const v = await findVersion(db, name, ref);
  if (v) return v;
  const model = await db.selectFrom('models').select('name').where('name', '=', name).executeTakeFirst();
  if (!model) throw new NotFoundError('model', name);
  if ('alias' in ref && ref.alias !== 'latest') throw new NotFoundError('alias', `${name}@${ref.alias}`);
  throw new NotFoundError('model version', describeRef(name, ref));
}
