import { NotFoundError } from '../errors.js';
import { baselineOwner } from '../pipeline/kinds/evaluate.js';
import type { LogStore } from '../logs/store.js';
import type { RunContext } from './context.js';
import { getRun } from './projection.js';
import { getRunWithSteps } from './queries.js';
import { lookupStepCache } from './step-cache.js';
import { isActiveRun } from './status.js';

/** Where a step's log lines are: the log store's run and step. */
export interface StepLog {
  runId: string;
  stepId: string;
}

/**
 * Where a step's log is: the step's own, or, for a cached step (or one a retry reused) that has no
 * log of its own, the log of the run and step whose result it reused. That step may be named
 * differently: an evaluate step's baseline is usually served by the candidate evaluation of the run
 * that promoted it. NotFoundError for an unknown run or step.
 */
export async function stepLog(ctx: RunContext, logs: LogStore, id: string, step: string): Promise<StepLog> {
  const run = await getRunWithSteps(ctx.db, id);
  if (!run) throw new NotFoundError('run', id);
  const steps = (await ctx.specs.stepIds(run.pipeline, run.digest)) ?? run.steps.map((s) => s.step_id);
  // An evaluate step's baseline evaluation logs under `<step>.baseline`.
  if (!steps.includes(step) && !steps.includes(baselineOwner(step) ?? ''))
    throw new NotFoundError('step', `${step}" of run "${id}`);
  const row = run.steps.find((s) => s.step_id === step);
  const own = { runId: id, stepId: step };
  if (row?.status !== 'cached' || !row.cached_from_run || (await logs.exists(id, step))) return own;
  const origin = row.cache_key ? await lookupStepCache(ctx.db, row.cache_key) : undefined;
  return origin?.runId === row.cached_from_run
    ? { runId: origin.runId, stepId: origin.stepId }
    : { runId: row.cached_from_run, stepId: step };
}

/** True once the run has recorded its outcome. */
export async function runHasFinished(ctx: RunContext, id: string): Promise<boolean> {
  const r = await getRun(ctx.db, id);
  return r !== undefined && !isActiveRun(r.status);
}
