import { setAlias } from '../../core/registry/models/aliases.js';
import { registerModelVersion } from '../../core/registry/models/register.js';
import { pipelineActor } from '../../core/runs/pipeline-actor.js';
import type { ActivityDeps } from '../deps.js';

export interface RegisterStepInput {
  runId: string;
  stepId: string;
  model: string;
  /** The model file: a step output (its run and step give lineage) or a store URI. */
  artifact: { source: { runId: string; stepId: string; output: string } } | { artifactUri: string };
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  /** Dataset versions upstream steps made, as `datasets:/name/N`. */
  datasets: string[];
  alias?: string;
}

export interface RegisterStepOutput {
  model: string;
  version: number;
  uri: string;
  alias: string | null;
  created: boolean;
}

/**
 * Registers the step's model version. The idempotency key is the run and step, so a retry after a
 * worker died mid-activity replays the first registration instead of making a second version.
 */
export function registerStepActivity(deps: ActivityDeps) {
  return async function registerStep(i: RegisterStepInput): Promise<RegisterStepOutput> {
    const by = pipelineActor(i.runId);
    const { version, created } = await registerModelVersion(
      { db: deps.db, artifacts: deps.artifacts },
      i.model,
      {
        ...i.artifact,
        metrics: i.metrics,
        params: i.params,
        datasets: i.datasets,
        idempotencyKey: `run:${i.runId}/step:${i.stepId}`,
      },
      by,
    );
    if (i.alias !== undefined) await setAlias(deps.db, i.model, i.alias, version.version, by);
    return {
      model: i.model,
      version: version.version,
      uri: version.uri,
      alias: i.alias ?? null,
      created,
    };
  };
}
