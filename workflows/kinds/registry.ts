// The register and promote kinds: the workflow gathers what upstream steps made, an activity writes the registry.
import { ApplicationFailure, proxyActivities } from '@temporalio/workflow';
import type { createActivities } from '../../activities/index.js';
import { FailureType } from '../../core/errors.js';
import type { Plan } from '../../core/pipeline/plan.js';
import type { PromotePlanStep } from '../../core/pipeline/kinds/promote.js';
import { REGISTER_ARTIFACT_INPUT, type RegisterPlanStep } from '../../core/pipeline/kinds/register.js';
import type { StepResult } from '../../core/runs/contract.js';
import type { StepContext } from '../step-kinds.js';

type Activities = ReturnType<typeof createActivities>;

function registryActivities(step: RegisterPlanStep | PromotePlanStep) {
  return proxyActivities<Activities>({
    startToCloseTimeout: step.timeoutMs,
    summary: `step ${step.id}: ${step.kind}`,
    retry: {
      maximumAttempts: step.retry.maximumAttempts + 10,
      initialInterval: step.retry.initialIntervalMs,
      backoffCoefficient: step.retry.backoffCoefficient,
      maximumInterval: step.retry.maximumIntervalMs,
      // A 4xx from the registry (a bad name, an archived model) will not heal by retrying.
      nonRetryableErrorTypes: ['ValidationError', 'ConflictError', 'NotFoundError'],
    },
  });
}

/** Every step `id` depends on, directly or not, in plan order. */
function upstream(plan: Plan, id: string): string[] {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const visit = (s: string) => {
    for (const d of byId.get(s)?.dependsOn ?? []) {
      if (seen.has(d)) continue;
      seen.add(d);
      visit(d);
    }
  };
  visit(id);
  return plan.steps.map((s) => s.id).filter((s) => seen.has(s));
}

const done = (r: Partial<StepResult>): StepResult => ({
  status: 'succeeded',
  outputs: {},
  metrics: {},
  attempt: 1,
  durationMs: 0,
  ...r,
});

export async function runRegister(step: RegisterPlanStep, ctx: StepContext): Promise<StepResult> {
  const src = step.inputs[REGISTER_ARTIFACT_INPUT]!;
  // A step reused from an earlier run (retry, cache) recorded its output under that run.
  const artifact =
    src.type === 'step'
      ? { source: { runId: ctx.steps.get(src.step)?.cachedFromRun ?? ctx.runId, stepId: src.step, output: src.output } }
      : { artifactUri: src.uri };
  const metrics = Object.assign({}, ...step.metricsFrom.map((id) => ctx.steps.get(id)?.metrics ?? {})) as Record<
    string,
    number
  >;
  // Datasets upstream steps made or reused (an ingest step's details name its version).
  const datasets = upstream(ctx.plan, step.id).flatMap((id) => {
    const d = ctx.steps.get(id)?.details;
    return typeof d?.dataset === 'string' && typeof d.version === 'number'
      ? [`datasets:/${d.dataset}/${d.version}`]
      : [];
  });
  const r = await registryActivities(step).registerStep({
    runId: ctx.runId,
    stepId: step.id,
    model: step.model,
    artifact,
    metrics,
    params: ctx.plan.params,
    datasets,
    ...(step.alias !== undefined ? { alias: step.alias } : {}),
  });
  return done({ metrics, details: { model: r.model, version: r.version, uri: r.uri, alias: r.alias } });
}

export async function runPromote(step: PromotePlanStep, ctx: StepContext): Promise<StepResult> {
  const d = ctx.steps.get(step.from)?.details;
  if (typeof d?.model !== 'string' || typeof d.version !== 'number') {
    throw ApplicationFailure.nonRetryable(`step ${step.from} registered no model version`, FailureType.InvalidStep);
  }
  const r = await registryActivities(step).promoteStep({
    runId: ctx.runId,
    model: d.model,
    version: d.version,
    alias: step.alias,
  });
  const previous = r.previous === null ? 'no previous holder' : `previously ${r.model}/${r.previous}`;
  return done({
    details: { model: r.model, alias: r.alias, version: r.version, previous: r.previous },
    outcome: 'promoted',
    outcomeReason: `${r.model}@${r.alias} -> ${r.model}/${r.version} (${previous})`,
  });
}
