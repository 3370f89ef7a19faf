import { upsertRun, upsertStep } from '../core/runs/projection.js';
import type { RunRecord } from '../core/runs/contract.js';
import type { ActivityDeps } from './deps.js';

/** Projects the run's state into the metadata DB, so the API lists and filters fast. */
export function recordRunActivity(deps: ActivityDeps) {
  return async function recordRun(r: RunRecord): Promise<void> {
    await deps.db.transaction().execute(async (trx) => {
      await upsertRun(trx, {
        id: r.runId,
        workflowId: r.workflowId,
        pipeline: r.pipeline,
        version: r.version,
        params: r.params,
        trigger: r.trigger,
        status: r.state,
        createdBy: r.createdBy,
        error: r.error,
        outcome: r.outcome,
        outcomeReason: r.outcomeReason,
      });
      for (const s of r.steps ?? []) {
        await upsertStep(trx, {
          runId: r.runId,
          stepId: s.id,
          status: s.state,
          // Absent in records of workflows started before these fields were recorded.
          attempt: s.attempt ?? 0,
          ...(s.startedAt ? { startedAt: s.startedAt } : {}),
          ...(s.finishedAt ? { finishedAt: s.finishedAt } : {}),
          outputs: s.outputs,
          metrics: s.metrics,
          cachedFromRun: s.cachedFromRun,
          details: s.details,
          skipReason: s.skipReason,
          error: s.error,
        });
      }
    });
  };
}
