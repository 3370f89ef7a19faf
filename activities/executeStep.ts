import { ApplicationFailure, Context } from '@temporalio/activity';
import { upsertStep } from '../core/runs/projection.js';
import { FailureType } from '../core/errors.js';
import type { ExecuteStepInput, StepResult } from '../core/runs/contract.js';
import { join } from 'node:path';
import { cachedResult } from './cache-lookup.js';
import { stepCacheKey } from './cache-key.js';
import type { ActivityDeps } from './deps.js';
import type { ExecutorName } from '../core/pipeline/schema.js';
import type { Executor } from './executors/types.js';
import { resolveStepInputs } from './inputs.js';
import { storeOutputs } from './outputs.js';
import { runStep } from './run-step.js';
import { checkRun, refused, type StepAttempt } from './step-failures.js';
import { enforceStepPolicy } from './step-policy.js';

import { finishedRun, markFinished, recordedResult } from './step-record.js';

function executorFor(deps: ActivityDeps, input: ExecuteStepInput): { name: ExecutorName; executor: Executor } {
  const name = input.step.executor ?? deps.defaultExecutor;
  const executor = deps.executors[name];
  if (!executor)
    throw ApplicationFailure.nonRetryable(
      `executor "${name}" is not available on this worker`,
      FailureType.InvalidStep,
    );
  return { name, executor };
}

async function imageDigestOf(deps: ActivityDeps, executor: Executor, attempt: StepAttempt, image: string) {
  try {
    return await executor.resolveImage(image);
  } catch (err) {
    throw await refused(deps, attempt, err);
  }
}

/**
 * One pipeline step: resolve inputs, consult the cache, run it, check it, store its outputs.
 * A step that finished is never run again: a later attempt first returns the result recorded for
 * this run and step, then stores the outputs an earlier attempt left on disk (finished.json).
 */
export function executeStepActivity(deps: ActivityDeps) {
  return async function executeStep(input: ExecuteStepInput): Promise<StepResult> {
    const ctx = Context.current();
    const { runId, step, params } = input;
    const started = Date.now();
    const { name, executor } = executorFor(deps, input);
    const attempt: StepAttempt = { runId, stepId: step.id, attempt: ctx.info.attempt, executor: name };
    const release = async () => executor.release?.(runId, step.id);

    const recorded = await recordedResult(deps.db, runId, step.id, attempt.attempt);
    if (recorded) return recorded;
    const workDir = join(deps.workRoot, runId, step.id);
    const finished = await finishedRun(workDir);
    if (finished) {
      const row = { ...attempt, imageDigest: finished.imageDigest, cacheKey: finished.cacheKey };
      const stored = await storeOutputs(deps, ctx, row, workDir, step.outputs, release);
      return {
        status: 'succeeded',
        ...stored,
        attempt: attempt.attempt,
        imageDigest: finished.imageDigest,
        cacheKey: finished.cacheKey,
        reattached: true,
        durationMs: Date.now() - started,
        runMs: finished.runMs,
      };
    }
    // A step that already finished keeps its result; only a step about to run is checked.
    await enforceStepPolicy(deps, step, name, attempt);

    const inputs = await resolveStepInputs(deps, input);
    const imageDigest = await imageDigestOf(deps, executor, attempt, step.image);
    const cacheKey = stepCacheKey(step, params, inputs, imageDigest);
    const hit = step.cache ? await cachedResult(deps, cacheKey, attempt.attempt) : undefined;
    if (hit) {
      await upsertStep(deps.db, {
        ...attempt,
        status: 'cached',
        imageDigest,
        cacheKey,
        cachedFromRun: hit.cachedFromRun,
        outputs: hit.outputs,
        metrics: hit.metrics,
      });
      return hit;
    }
    await upsertStep(deps.db, { ...attempt, status: 'running', imageDigest, cacheKey });

    const run = await runStep(deps, ctx, executor, attempt, input, inputs);
    try {
      await checkRun(deps, step, attempt, run);
    } catch (err) {
      await release();
      throw err;
    }
    await markFinished(run.workDir, { attempt: attempt.attempt, imageDigest, cacheKey, runMs: run.result.durationMs });
    const { outputs, metrics } = await storeOutputs(
      deps,
      ctx,
      { ...attempt, imageDigest, cacheKey },
      run.workDir,
      step.outputs,
      release,
    );
    return {
      status: 'succeeded',
      outputs,
      metrics,
      attempt: attempt.attempt,
      imageDigest,
      cacheKey,
      reattached: run.result.reattached,
      durationMs: Date.now() - started,
      runMs: run.result.durationMs,
    };
  };
}
