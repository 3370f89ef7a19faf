import { WorkflowNotFoundError } from '@temporalio/client';
import { audited, type Actor } from '../access/audit.js';
import type { ArtifactRef } from '../artifacts/store.js';
import { getRunWithSteps, markRunFinished } from './queries.js';
import { getRun } from './projection.js';
import { ConflictError, NotFoundError } from '../errors.js';
import type { StepDetails, StepResult } from './contract.js';
import { baselineOwner } from '../pipeline/kinds/evaluate.js';
import type { RunContext } from './context.js';
import { startRun, type StartedRun } from './start.js';
import { isActiveRun, isRetryableRun } from './status.js';

/**
 * Asks the run's workflow to cancel; its steps stop their containers and the workflow records
 * 'cancelled'. A pending run whose workflow never started is marked cancelled here, together
 * with its audit event.
 */
export async function cancelRun(ctx: RunContext, id: string, by: Actor): Promise<void> {
  const row = await getRun(ctx.db, id);
  if (!row) throw new NotFoundError('run', id);
  if (!isActiveRun(row.status))
    throw new ConflictError(`run ${id} is already ${row.status}; only pending or running runs can be cancelled`);
  const handle = ctx.temporal.workflow.getHandle(row.workflow_id);
  try {
    await handle.cancel();
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    let closed = false;
    try {
      closed = (await handle.describe()).status.name !== 'RUNNING';
    } catch (e) {
      if (!(e instanceof WorkflowNotFoundError)) throw e;
    }
    // Closed but not yet projected: the workflow's own record of its outcome is on its way.
    if (closed) throw new ConflictError(`run ${id} has just finished; it can no longer be cancelled`);
    await audited(ctx.db, by, async (uow) => {
      await markRunFinished(uow.trx, id, 'cancelled', 'cancelled before its workflow started');
      await uow.audit('run.cancel', 'run', id);
    });
    return;
  }
  // The cancellation went to Temporal, which no transaction here spans: its event can only follow it.
  await audited(ctx.db, by, (uow) => uow.audit('run.cancel', 'run', id));
}

/**
 * A new run of the same pinned version and params that takes over every step the old run
 * finished (succeeded or cached), so only the failed step and what follows it run again.
 */
export async function retryRun(ctx: RunContext, id: string, by: Actor): Promise<StartedRun> {
  const old = await getRunWithSteps(ctx.db, id);
  if (!old) throw new NotFoundError('run', id);
  if (!isRetryableRun(old.status)) {
    throw new ConflictError(`run ${id} is ${old.status}; only failed or cancelled runs can be retried`);
  }
  const reuse: Record<string, StepResult> = {};
  for (const s of old.steps) {
    if (s.status !== 'succeeded' && s.status !== 'cached') continue;
    // A baseline evaluation is part of its evaluate step, which carries its result in its details.
    if (baselineOwner(s.step_id) !== undefined) continue;
    reuse[s.step_id] = {
      status: 'cached',
      outputs: s.outputs as Record<string, ArtifactRef>,
      metrics: s.metrics as Record<string, number>,
      attempt: s.attempt,
      ...(s.cache_key ? { cacheKey: s.cache_key } : {}),
      cachedFromRun: s.cached_from_run ?? old.id,
      durationMs: 0,
      ...(s.details ? { details: s.details as StepDetails } : {}),
    };
  }
  return startRun(
    ctx,
    {
      pipeline: old.pipeline,
      version: old.pipeline_version,
      params: old.params as Record<string, unknown>,
      trigger: 'retry',
      createdBy: by.actor,
      retryOf: old.id,
      reuse,
    },
    by,
  );
}
