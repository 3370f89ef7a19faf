import { ApplicationFailure } from '@temporalio/activity';
import { countStepFailure, upsertStep, type StepProjection } from '../core/runs/projection.js';
import type { ContainerPlanStep } from '../core/pipeline/plan.js';
import { FailureType } from '../core/errors.js';
import type { ActivityDeps } from './deps.js';
import { ExecutorError } from './executors/types.js';
import { missingOutputs } from './outputs.js';
import type { StepRun } from './run-step.js';

/** Who the projection rows of this attempt belong to. */
export type StepAttempt = Pick<StepProjection, 'runId' | 'stepId' | 'attempt' | 'executor'>;

/** An executor's refusal as a failure type: an unreachable engine is the infrastructure's fault, not the step's. */
export function executorFailure(err: ExecutorError): ApplicationFailure {
  if (err.code === 'EngineUnavailable') return ApplicationFailure.retryable(err.message, FailureType.EngineUnavailable);
  const type =
    err.code === 'ImageNotFound'
      ? FailureType.ImageNotFound
      : err.code === 'CommandNotFound'
        ? FailureType.CommandNotFound
        : FailureType.InvalidStep;
  return ApplicationFailure.nonRetryable(err.message, type);
}

/** Records an executor's refusal on the step and returns the failure to throw; other errors pass through. */
export async function refused(deps: ActivityDeps, attempt: StepAttempt, err: unknown): Promise<unknown> {
  if (!(err instanceof ExecutorError)) return err;
  await upsertStep(deps.db, { ...attempt, status: 'failed', error: err.message });
  return executorFailure(err);
}

/**
 * A failure of the step itself spends its own retry budget, counted per run and step: the last
 * allowed one is non-retryable. A worker that died mid-step (heartbeat timeout) is retried by
 * Temporal without spending it.
 */
async function spendRetry(
  deps: ActivityDeps,
  step: ContainerPlanStep,
  attempt: StepAttempt,
  run: StepRun,
  why: string,
  type: FailureType,
) {
  const failures = await countStepFailure(deps.db, attempt.runId, step.id);
  const final = failures >= step.retry.maximumAttempts;
  await upsertStep(deps.db, {
    ...attempt,
    status: final ? 'failed' : 'running',
    error: `attempt ${attempt.attempt}: ${why}`,
  });
  const message = `${why}${run.tail.length ? `; last output:\n${run.tail.join('\n')}` : ''}`;
  return final ? ApplicationFailure.nonRetryable(message, type) : ApplicationFailure.retryable(message, type);
}

/** Throws unless the run ended well: in time, with exit code 0, and with every declared output written. */
export async function checkRun(
  deps: ActivityDeps,
  step: ContainerPlanStep,
  attempt: StepAttempt,
  run: StepRun,
): Promise<void> {
  const fail = (why: string, type: FailureType) => spendRetry(deps, step, attempt, run, why, type);
  if (run.result.timedOut) throw await fail(`timed out after ${step.timeoutMs} ms; killed`, FailureType.StepTimedOut);
  if (run.result.exitCode !== 0) throw await fail(`exited with code ${run.result.exitCode}`, FailureType.StepFailed);
  const missing = await missingOutputs(run.outDir, step.outputs);
  if (missing.length)
    throw await fail(`exited 0 but did not write declared output(s): ${missing.join(', ')}`, FailureType.StepFailed);
}
