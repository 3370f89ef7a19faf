import { moveAliasRecorded } from '../../core/registry/models/alias-history.js';
import { pipelineActor } from '../../core/runs/pipeline-actor.js';
import type { ActivityDeps } from '../deps.js';

export interface PromoteStepInput {
  runId: string;
  model: string;
  version: number;
  alias: string;
}

export interface PromoteStepOutput {
  model: string;
  alias: string;
  version: number;
  /** The version the alias pointed at before (null: it is new). */
  previous: number | null;
}

/** Moves the alias in one transaction; a retry is a no-op that still reports the recorded previous holder. */
export function promoteStepActivity(deps: ActivityDeps) {
  return async function promoteStep(i: PromoteStepInput): Promise<PromoteStepOutput> {
    const { previous } = await moveAliasRecorded(deps.db, i.model, i.alias, i.version, pipelineActor(i.runId));
    return { model: i.model, alias: i.alias, version: i.version, previous };
  };
}
