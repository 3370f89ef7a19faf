import type { ArtifactRef } from '../../artifacts/store.js';
import type { Actor } from '../../access/audit.js';
import { inferFormat } from '../formats.js';
import type { Tags } from '../names.js';
import { resolveDatasetList } from '../resolvers.js';
import { datasetsConsumedBy } from '../lineage/step-inputs.js';
import { type RegistryDeps, sourceOf } from '../sources.js';
import { registerVersion, type Registered } from './versions-write.js';

/** What a client sends to register a model version (validated at the API edge). */
export interface ModelVersionRequest {
  source?: { runId: string; stepId: string; output: string };
  artifactUri?: string;
  format?: string;
  description?: string | null;
  metrics?: Record<string, number>;
  params?: Record<string, unknown>;
  signature?: unknown;
  tags?: Tags;
  /** Extra training datasets, as `datasets:/name/N` (or `@latest`, resolved now). */
  datasets?: string[];
  /** An image reference, when the artifact was not produced by a step whose image digest is known. */
  image?: string;
  idempotencyKey?: string;
}

/**
 * Registers a version from a request: its bytes come from `uploaded` (a multipart upload already in the
 * store), or from the request's source run/step/output or artifact URI. Lineage: the producing run and
 * step, the step's image digest, and the datasets that run consumed plus any listed in the request.
 */
export async function registerModelVersion(
  deps: RegistryDeps,
  model: string,
  req: ModelVersionRequest,
  by: Actor,
  uploaded?: { artifact: ArtifactRef; fileName: string },
): Promise<Registered> {
  const { src, fileName } = await sourceOf(deps.db, deps.artifacts, req, uploaded);
  const listed = await resolveDatasetList(deps.db, req.datasets ?? [], 'body.datasets');
  const consumed = src.producer ? await datasetsConsumedBy(deps.db, src.producer.runId) : [];
  const datasets = [...new Map([...consumed, ...listed].map((d) => [`${d.name}/${d.version}`, d])).values()];
  return registerVersion(
    deps.db,
    {
      model,
      artifact: src.artifact,
      format: inferFormat(req.format, fileName, src.artifact.kind),
      producer: src.producer,
      image: req.image ?? src.image,
      description: req.description ?? null,
      metrics: req.metrics,
      params: req.params,
      signature: req.signature,
      tags: req.tags,
      datasets,
      idempotencyKey: req.idempotencyKey ?? null,
    },
    by,
  );
}
