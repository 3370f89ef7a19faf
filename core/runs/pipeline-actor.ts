import type { Actor } from '../access/audit.js';

/** Who a pipeline's own registry writes are audited as: the run, so the trail points at it. */
export function pipelineActor(runId: string): Actor {
  return { actor: `run:${runId}` };
}
