import { WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { audited, type Actor, type UnitOfWork } from '../access/audit.js';
import { getRun } from './projection.js';
import {
  deleteUnstartedRun,
  findRunByIdempotencyKey,
  insertPendingRun,
  insertReusedSteps,
  type ReusedStep,
} from './queries.js';
import type { RunRow } from '../db/tables/runs.js';
import { ConflictError, SluiceError } from '../errors.js';
import { canonicalJson } from '../pipeline/hash.js';
import { planRun } from '../pipeline/plan-run.js';
import { PipelineNameKey, SluiceRunIdKey, TriggerKey } from '../temporal/search-attributes.js';
import type { RunPipelineInput, StepResult } from './contract.js';
import type { RunContext } from './context.js';
import { idempotentRunId, newRunId, workflowIdFor } from './ids.js';

export interface StartRunRequest {
  pipeline: string;
  /** Pinned version; the latest when absent. */
  version?: number;
  params: Record<string, unknown>;
  idempotencyKey?: string;
  cache?: boolean;
  trigger: string;
  createdBy: string | null;
  retryOf?: string;
  /** Steps taken over from an earlier run (retry from the failed step). */
  reuse?: Record<string, StepResult>;
}

export interface StartedRun {
  runId: string;
  /** False when the request mapped to a run that already existed (idempotency key). */
  created: boolean;
}

export class RunStartError extends SluiceError {
  constructor(runId: string, cause: unknown) {
    super('temporal-unavailable', 503, `could not start the workflow of run ${runId}; nothing was started, try again`);
    this.cause = cause;
  }
}

/** Starts the workflow; true when it was already started (the idempotent case). */
export async function launch(
  ctx: RunContext,
  runId: string,
  workflowId: string,
  input: RunPipelineInput,
): Promise<boolean> {
  try {
    await ctx.temporal.workflow.start('runPipeline', {
      taskQueue: ctx.taskQueue,
      workflowId,
      args: [input],
      // A closed run's id must never run again: a retried POST after completion returns the old run.
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
      typedSearchAttributes: [
        { key: PipelineNameKey, value: input.plan.pipeline },
        { key: SluiceRunIdKey, value: runId },
        { key: TriggerKey, value: input.trigger },
      ],
      staticSummary: `${input.plan.pipeline} v${input.plan.version} (${input.trigger})`,
    });
    return false;
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return true;
    throw err;
  }
}

/** A second request with the same idempotency key: same run, provided it asks for the same thing. */
async function resume(ctx: RunContext, existing: RunRow, req: StartRunRequest): Promise<StartedRun> {
  const key = req.idempotencyKey!;
  if (existing.pipeline !== req.pipeline || (req.version !== undefined && req.version !== existing.pipeline_version)) {
    throw new ConflictError(
      `idempotency key "${key}" was already used for run ${existing.id} (${existing.pipeline} version ${existing.pipeline_version})`,
    );
  }
  const pinned = await ctx.specs.version(existing.pipeline, existing.pipeline_version);
  const { params, plan } = planRun(pinned, req.params, { cache: req.cache });
  if (canonicalJson(params) !== canonicalJson(existing.params)) {
    throw new ConflictError(`idempotency key "${key}" was already used for run ${existing.id} with different params`);
  }
  if (existing.status === 'pending') {
    // The first request may have died between the database and Temporal: starting again is safe.
    const input: RunPipelineInput = {
      runId: existing.id,
      plan,
      trigger: existing.trigger,
      createdBy: existing.created_by ?? undefined,
    };
    await launch(ctx, existing.id, existing.workflow_id, input);
  }
  return { runId: existing.id, created: false };
}

/** The audit event of a new run: a retry names the run it retries, a start what it runs. */
function auditStart(uow: UnitOfWork, runId: string, req: StartRunRequest, version: number): Promise<void> {
  if (req.retryOf) return uow.audit('run.retry', 'run', runId, { retryOf: req.retryOf });
  return uow.audit('run.start', 'run', runId, {
    pipeline: req.pipeline,
    version,
    ...(req.idempotencyKey ? { idempotencyKey: req.idempotencyKey } : {}),
  });
}

/**
 * Validates params against the pinned version, records the run as pending, then starts its
 * workflow (`run-<runId>`). The row comes first so that the API's fields (idempotency key,
 * retry_of) are never lost to the workflow's own upsert. The row, any steps a retry takes over
 * and the audit event by `by` commit together; the workflow starts after that commit, since
 * Temporal is not part of the transaction.
 */
export async function startRun(ctx: RunContext, req: StartRunRequest, by: Actor): Promise<StartedRun> {
  const key = req.idempotencyKey;
  const runId = key ? idempotentRunId(req.pipeline, key) : newRunId(req.pipeline);
  if (key) {
    const existing = await getRun(ctx.db, runId);
    if (existing) return resume(ctx, existing, req);
    const other = await findRunByIdempotencyKey(ctx.db, key);
    if (other)
      throw new ConflictError(
        `idempotency key "${key}" was already used for run ${other.id} of pipeline ${other.pipeline}`,
      );
  }
  const pinned = await ctx.specs.version(req.pipeline, req.version);
  const { version } = pinned;
  const { params, plan } = planRun(pinned, req.params, { cache: req.cache });
  const workflowId = workflowIdFor(runId);
  const inserted = await audited(ctx.db, by, async (uow) => {
    const fresh = await insertPendingRun(uow.trx, {
      id: runId,
      workflowId,
      pipeline: req.pipeline,
      version,
      params,
      trigger: req.trigger,
      createdBy: req.createdBy,
      idempotencyKey: key ?? null,
      retryOf: req.retryOf ?? null,
    });
    if (!fresh) return false;
    if (req.reuse) await insertReusedSteps(uow.trx, runId, reusedRows(req.reuse));
    await auditStart(uow, runId, req, version);
    return true;
  });
  if (!inserted) {
    const existing = await getRun(ctx.db, runId);
    if (existing) return resume(ctx, existing, req);
    throw new ConflictError(`idempotency key "${key}" is in use by another run`);
  }
  const input: RunPipelineInput = {
    runId,
    plan,
    trigger: req.trigger,
    ...(req.createdBy ? { createdBy: req.createdBy } : {}),
    ...(req.reuse ? { reuse: req.reuse } : {}),
  };
  try {
    // Whoever inserted the row created the run, even if a concurrent duplicate request won the start.
    await launch(ctx, runId, workflowId, input);
    return { runId, created: true };
  } catch (err) {
    // The trail is append-only, so the run.start above stays; this event says the run never began.
    await audited(ctx.db, by, async (uow) => {
      await deleteUnstartedRun(uow.trx, runId);
      await uow.audit('run.start.failed', 'run', runId);
    });
    throw new RunStartError(runId, err);
  }
}

function reusedRows(reuse: Record<string, StepResult>): ReusedStep[] {
  return Object.entries(reuse).map(([stepId, r]) => ({
    stepId,
    attempt: r.attempt,
    cacheKey: r.cacheKey ?? null,
    cachedFromRun: r.cachedFromRun!,
    outputs: r.outputs,
    metrics: r.metrics,
    details: r.details ?? null,
  }));
}
