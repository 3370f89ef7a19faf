/** Registers ingested bytes as a dataset version, or reuses the version that already holds the same digest. */
import type { ArtifactRef } from '../../core/artifacts/store.js';
import { registerDatasetVersion } from '../../core/registry/datasets/versions.js';
import { recordStepInput } from '../../core/registry/lineage/step-inputs.js';
import type { DatasetStats } from '../../core/registry/profiling/csv-stats.js';
import { datasetVersionUri } from '../../core/registry/uris.js';
import type { ActivityDeps } from '../deps.js';
import type { IngestInput } from './ingest.js';

export async function registerIngested(
  deps: ActivityDeps,
  input: IngestInput,
  ref: ArtifactRef,
  stats: DatasetStats,
): Promise<{ version: number; reused: boolean; uri: string }> {
  const { runId, step } = input;
  // Lineage of an outside source (file, S3, HTTP): its bytes were consumed by this run's step.
  if (step.source.type !== 'step') {
    await recordStepInput(deps.db, { runId, stepId: step.id, inputName: 'source', uri: step.sourceText, ref });
  }
  const existing = await deps.db
    .selectFrom('dataset_versions')
    .select(['version', 'run_id', 'step_id'])
    .where('dataset', '=', step.dataset)
    .where('digest', '=', ref.sha256)
    .orderBy('version')
    .limit(1)
    .executeTakeFirst();
  if (existing) {
    // A retried attempt finds the version it registered itself: that is not a reuse.
    const mine = existing.run_id === runId && existing.step_id === step.id;
    return { version: existing.version, reused: !mine, uri: datasetVersionUri(step.dataset, existing.version) };
  }
  // The key is the digest: two runs ingesting the same new bytes at once still make one version.
  const { version, created } = await registerDatasetVersion(
    deps.db,
    {
      dataset: step.dataset,
      artifact: ref,
      format: 'csv',
      producer: { runId, stepId: step.id, output: 'dataset' },
      description: step.description ?? null,
      schema: { columns: stats.columns.map((c) => ({ name: c.name, type: c.type })) },
      stats,
      sourceUri: step.sourceText,
      idempotencyKey: `ingest:${ref.sha256}`,
    },
    { actor: input.createdBy ?? `run:${runId}` },
  );
  return { version: version.version, reused: !created, uri: version.uri };
}
