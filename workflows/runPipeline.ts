import {
  ApplicationFailure,
  CancellationScope,
  condition,
  defineQuery,
  isCancellation,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { SluiceOutcomeKey, SluiceRunIdKey } from '../core/temporal/search-attributes.js';
import type { createActivities } from '../activities/index.js';
import type { PlanStep } from '../core/pipeline/plan.js';
import { FailureType } from '../core/errors.js';
import { failureMessage, inputRefs, pickSteps, runIdFromWorkflowId } from './step-helpers.js';
import { recordsItself, runStepKind } from './step-kinds.js';
import { handleApprovals } from './kinds/approve.js';
import type { RunPipelineInput, RunProgress, StepProgress, StepResult } from '../core/runs/contract.js';

type Activities = ReturnType<typeof createActivities>;

export const statusQuery = defineQuery<RunProgress>('status');

const { recordRun } = proxyActivities<Activities>({
  startToCloseTimeout: '1m',
  retry: { maximumAttempts: 10 },
});

/**
 * Interprets a pipeline's DAG durably: starts every step whose dependencies are done (up to
 * the plan's parallelism), skips steps whose `when` is false (and everything downstream of a
 * skip), and on a failure schedules nothing new, then cancels or awaits running steps.
 */
export async function runPipeline(input: RunPipelineInput): Promise<RunProgress> {
  const { plan } = input;
  // A schedule starts every fire with the same input and a workflow id of its own
  // (`run-…-<timestamp>`): such a run takes its id from the workflow id.
  const runId = input.runId || runIdFromWorkflowId(workflowInfo().workflowId);
  if (!input.runId) upsertSearchAttributes([{ key: SluiceRunIdKey, value: runId }]);
  const steps = new Map<string, StepProgress>(
    plan.steps.map((s) => [
      s.id,
      {
        id: s.id,
        state: 'pending',
        attempt: 0,
        outputs: {},
        metrics: {},
        cacheHit: false,
      },
    ]),
  );
  const status: RunProgress = {
    runId,
    pipeline: plan.pipeline,
    version: plan.version,
    state: 'running',
    steps: [...steps.values()],
  };
  setHandler(statusQuery, () => status);
  handleApprovals(input, steps);

  // Steps no activity records (skipped, reused, cancelled before starting, or of a kind the
  // workflow runs) are projected with the run's records; container steps record themselves.
  const selfRecorded = new Set<string>();
  const workflowRecorded = (final: boolean) =>
    [...steps.values()]
      .filter((s) => !selfRecorded.has(s.id) && (final ? s.state !== 'pending' && s.state !== 'running' : s.finishedAt))
      .map((s) => ({
        id: s.id,
        state: s.state,
        outputs: s.outputs,
        metrics: s.metrics,
        cachedFromRun: s.cachedFromRun,
        details: s.details,
        skipReason: s.skipReason,
        error: s.error,
        // The workflow's own times and attempt: recording later must not restamp them.
        attempt: s.attempt,
        startedAt: s.startedAt,
        finishedAt: s.finishedAt,
      }));
  const record = (state: RunProgress['state'], error?: string) =>
    recordRun({
      runId,
      workflowId: workflowInfo().workflowId,
      pipeline: plan.pipeline,
      version: plan.version,
      params: plan.params,
      trigger: input.trigger,
      createdBy: input.createdBy,
      state,
      error,
      outcome: status.outcome,
      outcomeReason: status.outcomeReason,
      steps: workflowRecorded(state !== 'running' && state !== 'waiting'),
    });
  await record('running');

  const running = new Map<string, CancellationScope>();
  let failed: { step: string; error: string } | undefined;
  let changed = false;
  const now = () => new Date().toISOString();

  const finish = (s: StepProgress, r: StepResult) => {
    Object.assign(s, {
      state: r.status,
      attempt: r.attempt,
      outputs: r.outputs,
      metrics: r.metrics,
      finishedAt: now(),
      cacheHit: r.status === 'cached',
      cachedFromRun: r.cachedFromRun,
      runMs: r.runMs,
      details: r.details,
      haltReason: r.haltReason,
    });
    if (r.outcome) {
      status.outcome = r.outcome;
      status.outcomeReason = r.outcomeReason ?? r.haltReason;
      upsertSearchAttributes([{ key: SluiceOutcomeKey, value: r.outcome }]);
    }
  };

  const start = (step: PlanStep, s: StepProgress) => {
    s.state = 'running';
    s.startedAt = now();
    if (recordsItself(step)) selfRecorded.add(step.id);
    const ctx = {
      runId,
      input,
      plan,
      steps,
      progress: s,
      run: status,
      inputs: inputRefs(step, steps),
      persist: () => record(status.state),
    };
    const scope = new CancellationScope();
    running.set(step.id, scope);
    scope
      .run(() => runStepKind(step, ctx))
      .then(
        (r) => finish(s, r),
        (err: unknown) => {
          s.finishedAt = now();
          if (isCancellation(err)) {
            s.state = 'cancelled';
          } else {
            s.state = 'failed';
            s.error = failureMessage(err);
            failed ??= { step: step.id, error: s.error };
          }
        },
      )
      .finally(() => {
        running.delete(step.id);
        changed = true;
      });
  };

  try {
    for (;;) {
      if (!failed) {
        for (const next of pickSteps(plan, steps, running.size, input.reuse)) {
          const s = steps.get(next.step.id)!;
          if (next.action === 'reuse') {
            finish(s, { ...next.result, status: 'cached' });
          } else if (next.action === 'skip') {
            s.state = 'skipped';
            s.skipReason = next.reason;
            s.finishedAt = now();
          } else {
            start(next.step, s);
          }
        }
      }
      if (running.size === 0) break;
      if (failed && plan.onFailure === 'cancel') for (const scope of running.values()) scope.cancel();
      changed = false;
      await condition(() => changed);
    }
  } catch (err) {
    if (isCancellation(err)) {
      // The run itself was cancelled: every step scope is a child of the root scope, so their
      // activities were asked to stop; wait for them, then record the outcome durably.
      await CancellationScope.nonCancellable(async () => {
        await condition(() => running.size === 0);
        for (const s of steps.values()) if (s.state === 'pending') s.state = 'cancelled';
        status.state = 'cancelled';
        await record('cancelled');
      });
    }
    throw err;
  }

  if (failed) {
    for (const s of steps.values()) if (s.state === 'pending') s.state = 'cancelled';
    status.state = 'failed';
    status.error = `step ${failed.step} failed: ${failed.error}`;
    await record('failed', status.error);
    throw ApplicationFailure.nonRetryable(status.error, FailureType.PipelineFailed, { step: failed.step });
  }
  status.state = 'succeeded';
  await record('succeeded');
  return status;
}
