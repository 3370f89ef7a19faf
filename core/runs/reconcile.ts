import { WorkflowNotFoundError } from '@temporalio/client';
import { audited } from '../access/audit.js';
import type { RunRow } from '../db/tables/runs.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { planRun } from '../pipeline/plan-run.js';
import type { RunPipelineInput, StepDetails, StepResult } from './contract.js';
import type { RunContext } from './context.js';
import { getRunSteps } from './projection.js';
import { listPendingRunsBefore, markRunFinished } from './queries.js';
import { launch } from './start.js';

export interface ReconcileOptions {
  /** A run pending for less than this may still be between its row and its start. */
  graceMs?: number;
  limit?: number;
  now?: Date;
}

export interface Reconciled {
  started: string[];
  failed: string[];
}

/** The steps a retry took over, as recorded before its workflow was to start. */
async function reusedSteps(ctx: RunContext, runId: string): Promise<Record<string, StepResult> | undefined> {
  const rows = (await getRunSteps(ctx.db, runId)).filter((s) => s.status === 'cached' && s.cached_from_run);
  if (rows.length === 0) return undefined;
  return Object.fromEntries(
    rows.map((s) => [
      s.step_id,
      {
        status: 'cached' as const,
        outputs: s.outputs as StepResult['outputs'],
        metrics: s.metrics as StepResult['metrics'],
        attempt: s.attempt,
        ...(s.cache_key ? { cacheKey: s.cache_key } : {}),
        cachedFromRun: s.cached_from_run!,
        durationMs: 0,
        ...(s.details ? { details: s.details as StepDetails } : {}),
      },
    ]),
  );
}

async function workflowExists(ctx: RunContext, run: RunRow): Promise<boolean> {
  try {
    await ctx.temporal.workflow.getHandle(run.workflow_id).describe();
    return true;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return false;
    throw err;
  }
}

/** Starts the run's workflow from its row; false when the row cannot make a run any more. */
async function startFromRow(ctx: RunContext, run: RunRow): Promise<{ ok: true } | { ok: false; reason: string }> {
  let input: RunPipelineInput;
  try {
    const pinned = await ctx.specs.version(run.pipeline, run.pipeline_version);
    const { plan } = planRun(pinned, run.params as Record<string, unknown>);
    const reuse = await reusedSteps(ctx, run.id);
    input = {
      runId: run.id,
      plan,
      trigger: run.trigger,
      ...(run.created_by ? { createdBy: run.created_by } : {}),
      ...(reuse ? { reuse } : {}),
    };
  } catch (err) {
    if (err instanceof NotFoundError || err instanceof ValidationError) return { ok: false, reason: err.message };
    throw err;
  }
  // Same workflow id: should a start race us, "already started" is the success it looks like.
  await launch(ctx, run.id, run.workflow_id, input);
  return { ok: true };
}

/**
 * Every run pending past the grace whose workflow does not exist (its API died between the row
 * and the start) is started now, or marked failed (`never started: <reason>`) when its pipeline
 * version is gone or its params no longer compile. A run Temporal cannot be asked about now is
 * left for the next pass.
 */
export async function reconcilePendingRuns(ctx: RunContext, opts: ReconcileOptions = {}): Promise<Reconciled> {
  const now = opts.now ?? new Date();
  const stale = await listPendingRunsBefore(
    ctx.db,
    new Date(now.getTime() - (opts.graceMs ?? 30_000)),
    opts.limit ?? 100,
  );
  const done: Reconciled = { started: [], failed: [] };
  for (const run of stale) {
    if (await workflowExists(ctx, run)) continue;
    const res = await startFromRow(ctx, run);
    if (res.ok) {
      done.started.push(run.id);
      await audited(ctx.db, { actor: 'sluice' }, (uow) => uow.audit('run.start.reconciled', 'run', run.id));
      continue;
    }
    await audited(ctx.db, { actor: 'sluice' }, async (uow) => {
      await markRunFinished(uow.trx, run.id, 'failed', `never started: ${res.reason}`);
      await uow.audit('run.start.failed', 'run', run.id, { reason: res.reason });
    });
    done.failed.push(run.id);
  }
  return done;
}
