import { audited, type Actor } from '../access/audit.js';
import type { Db } from '../db/connect.js';
import { findCodePackage } from '../code/packages.js';
import { ConflictError, NotFoundError, ValidationError } from '../errors.js';
import { countActiveRuns } from '../runs/queries.js';
import { specDigest } from './hash.js';
import type { SpecIssue } from './issues.js';
import type { PipelineSpec } from './schema.js';
import { parsePipelineSpec } from './validate.js';
import {
  deletePipeline,
  getPipeline,
  getPipelineVersion,
  listPipelines,
  listPipelineVersions,
  savePipelineVersion,
  type SavedVersion,
} from './versions.js';
import type { PipelineSummary, PipelineVersionInfo, PipelineVersionView } from './views.js';

export type CheckedPipeline = { ok: true; spec: PipelineSpec; digest: string } | { ok: false; errors: SpecIssue[] };

/** Parses a spec (an object, or YAML/JSON text) and names its content digest. */
export function checkPipeline(input: unknown): CheckedPipeline {
  const parsed = parsePipelineSpec(input);
  return parsed.ok ? { ok: true, spec: parsed.spec, digest: specDigest(parsed.spec) } : parsed;
}

/**
 * Saves a valid spec as the pipeline's next version unless an identical one exists; a new version
 * and its audit event (pipeline.create for the first, pipeline.update after) commit together.
 * A spec's `code` must name a stored code package.
 */
export async function applyPipeline(db: Db, by: Actor, spec: PipelineSpec): Promise<SavedVersion> {
  return audited(db, by, async (uow) => {
    if (spec.code !== undefined && !(await findCodePackage(uow.trx, spec.code)))
      throw new ValidationError(`code package ${spec.code} is not stored`, [
        {
          path: '$.code',
          message: `code package ${spec.code} is not stored; upload it first (POST /v1/code-packages, which sluice pipelines apply -f does)`,
        },
      ]);
    const saved = await savePipelineVersion(uow.trx, {
      name: spec.name,
      description: spec.description,
      digest: specDigest(spec),
      spec,
      createdBy: by.actor,
    });
    if (saved.created) {
      await uow.audit(saved.version === 1 ? 'pipeline.create' : 'pipeline.update', 'pipeline', spec.name, {
        version: saved.version,
        digest: saved.digest,
      });
    }
    return saved;
  });
}

/** Deletes a pipeline and its versions (its runs stay); refused while it has pending or running runs. */
export async function removePipeline(db: Db, by: Actor, name: string): Promise<void> {
  await audited(db, by, async (uow) => {
    if (!(await getPipeline(uow.trx, name))) throw new NotFoundError('pipeline', name);
    const active = await countActiveRuns(uow.trx, name);
    if (active > 0)
      throw new ConflictError(`pipeline ${name} has ${active} pending or running run(s); cancel them first`);
    await deletePipeline(uow.trx, name);
    await uow.audit('pipeline.delete', 'pipeline', name);
  });
}

/** A page of pipelines by name; `next` is the name to continue after when the page is full. */
export async function listPipelineSummaries(
  db: Db,
  f: { after?: string; limit: number },
): Promise<{ items: PipelineSummary[]; next?: string }> {
  const rows = await listPipelines(db, f);
  const items = rows.map((p) => ({
    name: p.name,
    latestVersion: p.latest_version,
    description: p.description,
    createdAt: p.created_at.toISOString(),
    updatedAt: p.updated_at.toISOString(),
  }));
  return rows.length === f.limit ? { items, next: rows.at(-1)!.name } : { items };
}

type VersionRow = NonNullable<Awaited<ReturnType<typeof getPipelineVersion>>>;
const toVersion = (v: VersionRow): PipelineVersionView => ({
  pipeline: v.pipeline,
  version: v.version,
  latestVersion: v.latest_version,
  digest: v.digest,
  spec: v.spec as Record<string, unknown>,
  createdBy: v.created_by,
  createdAt: v.created_at.toISOString(),
});

/** The latest version of a pipeline, with the list of its versions (newest first). */
export async function getPipelineWithVersions(
  db: Db,
  name: string,
): Promise<PipelineVersionView & { versions: PipelineVersionInfo[] }> {
  const latest = await getPipelineVersion(db, name);
  if (!latest) throw new NotFoundError('pipeline', name);
  const versions = (await listPipelineVersions(db, name)).map((v) => ({
    version: v.version,
    digest: v.digest,
    createdBy: v.created_by,
    createdAt: v.created_at.toISOString(),
  }));
  return { ...toVersion(latest), versions };
}

export async function getPipelineVersionView(db: Db, name: string, version: number): Promise<PipelineVersionView> {
  const v = await getPipelineVersion(db, name, version);
  if (!v) throw new NotFoundError('pipeline version', `${name}@${version}`);
  return toVersion(v);
}
