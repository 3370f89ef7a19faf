// The container kind's activity: the executors run the user's container (or local process).
// An evaluate step runs its evaluations through the same activity.
import { ActivityCancellationType, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import { NON_RETRYABLE_FAILURES } from '../../core/errors.js';
import type { ContainerPlanStep } from '../../core/pipeline/plan.js';
import type { ExecuteStepInput, StepResult } from '../../core/runs/contract.js';

type Activities = ReturnType<typeof createActivities>;

/** Transfer of inputs and outputs comes on top of the step's own run time. */
const TRANSFER_ALLOWANCE_MS = 10 * 60_000;
export const HEARTBEAT_TIMEOUT = '15s';
/**
 * Attempts beyond the step's own retries, for infrastructure failures (a worker that died,
 * a heartbeat that timed out). The activity ends the step's own retries itself, non-retryably.
 */
const INFRA_ATTEMPTS = 10;

function containerActivity(step: ContainerPlanStep): Activities['executeStep'] {
  return proxyActivities<Activities>({
    startToCloseTimeout: step.timeoutMs + TRANSFER_ALLOWANCE_MS,
    heartbeatTimeout: HEARTBEAT_TIMEOUT,
    // Wait for the activity to kill and remove its container before the scope settles.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    summary: `step ${step.id}: ${step.image} ${[...step.command, ...step.args].join(' ')}`.slice(0, 200),
    retry: {
      maximumAttempts: step.retry.maximumAttempts + INFRA_ATTEMPTS,
      initialInterval: step.retry.initialIntervalMs,
      backoffCoefficient: step.retry.backoffCoefficient,
      maximumInterval: step.retry.maximumIntervalMs,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  }).executeStep;
}

/** Runs a container step to its result (or its cached one); its activity records the step's row. */
export function runContainer(input: ExecuteStepInput): Promise<StepResult> {
  return containerActivity(input.step)(input);
}
