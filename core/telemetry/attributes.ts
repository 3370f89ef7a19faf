// Pure: the workflow bundle imports it too (workflows/tracing.ts).
import type { Attributes } from '@opentelemetry/api';
import type { RunPipelineInput } from '../runs/contract.js';

/** Span attribute names Sluice adds beside Temporal's own (temporalWorkflowId, run_id — Temporal's run id, temporalActivityId). */
export const ATTR = {
  runId: 'sluice.run_id',
  pipeline: 'sluice.pipeline',
  pipelineVersion: 'sluice.pipeline_version',
  trigger: 'sluice.trigger',
  stepId: 'sluice.step_id',
  executor: 'sluice.executor',
} as const;

const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

function defined(a: Record<string, string | number | undefined>): Attributes {
  return Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Attributes;
}

/** The run's identity, from the runPipeline workflow's input. */
export function runAttributes(input: Partial<RunPipelineInput> | undefined): Attributes {
  return defined({
    [ATTR.runId]: text(input?.runId),
    [ATTR.pipeline]: text(input?.plan?.pipeline),
    [ATTR.pipelineVersion]: input?.plan?.version,
    [ATTR.trigger]: text(input?.trigger),
  });
}

/**
 * A step activity's identity, from its input: activities that run a step take `{ runId, pipeline, step }`
 * (executeStep and the built-in kinds). `defaultExecutor` is the worker's, for steps that name none.
 */
export function stepAttributes(arg: unknown, defaultExecutor?: string): Attributes {
  if (!arg || typeof arg !== 'object') return {};
  const a = arg as {
    runId?: unknown;
    pipeline?: unknown;
    step?: { id?: unknown; executor?: unknown; image?: unknown };
  };
  const step = a.step && typeof a.step === 'object' ? a.step : undefined;
  return defined({
    [ATTR.runId]: text(a.runId),
    [ATTR.pipeline]: text(a.pipeline),
    [ATTR.stepId]: text(step?.id),
    // Only container steps (those with an image) run on an executor.
    [ATTR.executor]: step?.image !== undefined ? (text(step.executor) ?? defaultExecutor) : undefined,
  });
}
