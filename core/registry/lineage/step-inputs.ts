import type { ArtifactRef } from '../../artifacts/store.js';
import type { Db } from '../../db/connect.js';
import type { ResolvedInputType } from '../../db/tables/registry.js';
import { parseDatasetUri, parseModelUri } from '../uris.js';

export interface StepInputRecord {
  runId: string;
  stepId: string;
  inputName: string;
  /** The URI as the pipeline wrote it, e.g. `datasets:/churn/2` or `models:/churn@champion`. */
  uri: string;
  /** What it resolved to for this step. */
  ref: Pick<ArtifactRef, 'sha256'>;
}

type Resolved = { type: ResolvedInputType; name: string; version: number } | undefined;

/**
 * Which registry version a resolved input is. Matched by content, not by re-resolving the URI: an
 * alias may have moved since the step resolved it, but the bytes it consumed identify the version.
 */
async function identify(db: Db, uri: string, sha256: string): Promise<Resolved> {
  const model = parseModelUri(uri);
  if (model) {
    const exact = 'version' in model.ref ? model.ref.version : -1;
    const row = await db
      .selectFrom('model_versions')
      .select('version')
      .where('model', '=', model.name)
      .where('artifact_sha256', '=', sha256)
      .orderBy((eb) => eb('version', '=', exact), 'desc')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { type: 'model_version', name: model.name, version: row.version } : undefined;
  }
  const dataset = parseDatasetUri(uri);
  if (dataset) {
    const exact = 'version' in dataset.ref ? dataset.ref.version : -1;
    const row = await db
      .selectFrom('dataset_versions')
      .select('version')
      .where('dataset', '=', dataset.name)
      .where('digest', '=', sha256)
      .orderBy((eb) => eb('version', '=', exact), 'desc')
      .orderBy('version', 'desc')
      .limit(1)
      .executeTakeFirst();
    return row ? { type: 'dataset_version', name: dataset.name, version: row.version } : undefined;
  }
  return undefined;
}

/**
 * Records that a step consumed a URI input (the lineage edge dataset/model version → run). Called by
 * executeStep after resolving each URI input; idempotent, so a retried activity just rewrites its row.
 */
export async function recordStepInput(db: Db, i: StepInputRecord): Promise<void> {
  const r = await identify(db, i.uri, i.ref.sha256);
  const values = {
    uri: i.uri,
    sha256: i.ref.sha256,
    resolved_type: r?.type ?? null,
    resolved_name: r?.name ?? null,
    resolved_version: r?.version ?? null,
  };
  await db
    .insertInto('run_inputs')
    .values({ run_id: i.runId, step_id: i.stepId, input_name: i.inputName, ...values })
    .onConflict((oc) => oc.columns(['run_id', 'step_id', 'input_name']).doUpdateSet(values))
    .execute();
}

/** Dataset versions any step of the run consumed through a `datasets:/` input. */
export async function datasetsConsumedBy(db: Db, runId: string): Promise<Array<{ name: string; version: number }>> {
  const rows = await db
    .selectFrom('run_inputs')
    .select(['resolved_name', 'resolved_version'])
    .distinct()
    .where('run_id', '=', runId)
    .where('resolved_type', '=', 'dataset_version')
    .execute();
  return rows.map((r) => ({ name: r.resolved_name!, version: r.resolved_version! }));
}
