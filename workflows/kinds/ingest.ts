// The ingest kind inside the workflow: one activity does the reading, storing and registering.
import { proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import { NON_RETRYABLE_FAILURES } from '../../core/errors.js';
import type { IngestPlanStep } from '../../core/pipeline/kinds/ingest.js';
import type { ArtifactRef } from '../../core/artifacts/store.js';
import type { StepResult } from '../../core/runs/contract.js';
import type { StepContext } from '../step-kinds.js';

type Activities = ReturnType<typeof createActivities>;

/** Beyond the step's own retries: for a worker that died or a heartbeat that timed out mid-stream. */
const INFRA_ATTEMPTS = 10;
/** Storing and registering come on top of the step's timeout for the read itself. */
const STORE_ALLOWANCE_MS = 10 * 60_000;

export function runIngest(step: IngestPlanStep, ctx: StepContext): Promise<StepResult> {
  const { ingest } = proxyActivities<Activities>({
    startToCloseTimeout: step.timeoutMs + STORE_ALLOWANCE_MS,
    heartbeatTimeout: '15s',
    summary: `step ${step.id}: ingest ${step.sourceText} into ${step.dataset}`.slice(0, 200),
    retry: {
      maximumAttempts: step.retry.maximumAttempts + INFRA_ATTEMPTS,
      initialInterval: step.retry.initialIntervalMs,
      backoffCoefficient: step.retry.backoffCoefficient,
      maximumInterval: step.retry.maximumIntervalMs,
      nonRetryableErrorTypes: NON_RETRYABLE_FAILURES,
    },
  });
  const upstream = ctx.inputs.source;
  return ingest({
    runId: ctx.runId,
    step,
    ...(upstream && 'sha256' in upstream ? { source: upstream as ArtifactRef } : {}),
    ...(ctx.input.createdBy !== undefined ? { createdBy: ctx.input.createdBy } : {}),
  });
}
