import { NotFoundError } from '../errors.js';
import { baselineOwner } from '../pipeline/kinds/evaluate.js';
import type { LogStore } from '../logs/store.js';
import type { RunContext } from './context.js';
import { getRun } from './projection.js';
import { getRunWithSteps } from './queries.js';
import { isActiveRun } from './status.js';

/**
 * The run whose log holds a step's lines: the run itself, or, for a cached step (or one a retry
 * reused) that has no log of its own, the run it came from. NotFoundError for an unknown run or step.
 */
export async function stepLogRun(ctx: RunContext, logs: LogStore, id: string, step: string): Promise<string> {
  const run = await getRunWithSteps(ctx.db, id);
  if (!run) throw new NotFoundError('run', id);
  const steps = (await ctx.specs.stepIds(run.pipeline, run.digest)) ?? run.steps.map((s) => s.step_id);
  // An evaluate step's baseline evaluation logs under `<step>.baseline`.
  if (!steps.includes(step) && !steps.includes(baselineOwner(step) ?? ''))
    throw new NotFoundError('step', `${step}" of run "${id}`);
  const row = run.steps.find((s) => s.step_id === step);
  return row?.status === 'cached' && row.cached_from_run && !(await logs.exists(id, step)) ? row.cached_from_run : id;
}

/** True once the run has recorded its outcome. */
export async function runHasFinished(ctx: RunContext, id: string): Promise<boolean> {
  const r = await getRun(ctx.db, id);
  return r !== undefined && !isActiveRun(r.status);
}
