/** The `evaluate` kind: the user's evaluation container scores the candidate model, and the baseline beside it. */
import { z } from 'zod';
import { parseInputSource } from '../inputs.js';
import type { ContainerPlanStep, InputSource, PlanStepBase } from '../plan.js';
import type { StepSpec } from '../schema.js';
import { MODEL_URI_HINT, parseModelUri } from '../../registry/uris.js';

/** The input names the evaluation program reads: $SLUICE_INPUTS_DIR/model and $SLUICE_INPUTS_DIR/data. */
export const EVALUATE_MODEL_INPUT = 'model';
export const EVALUATE_DATA_INPUT = 'data';
/** Every evaluation writes this; its numbers are the step's metrics. */
export const EVALUATE_METRICS_OUTPUT = 'metrics.json';

const BASELINE_SUFFIX = '.baseline';
/**
 * The baseline's evaluation runs under this step id: its own work directory, container name,
 * recorded result, step row (which the run view folds into the evaluate step) and log. Step ids
 * cannot contain a dot, so it never meets a step of the spec.
 */
export const baselineStepId = (id: string): string => `${id}${BASELINE_SUFFIX}`;
/** The evaluate step whose baseline evaluation a step row or log belongs to, if it is one. */
export const baselineOwner = (stepId: string): string | undefined =>
  stepId.endsWith(BASELINE_SUFFIX) ? stepId.slice(0, -BASELINE_SUFFIX.length) : undefined;

/** A step output reference or a URI; a param would hide from validation which model is evaluated. */
const modelOrData = z.string().superRefine((v, ctx) => {
  const ref = parseInputSource(v);
  if (typeof ref === 'string') ctx.addIssue({ code: 'custom', message: ref });
  else if (ref.type === 'param')
    ctx.addIssue({ code: 'custom', message: 'expected steps.<id>.outputs.<output> or a URI, not a param' });
});

/**
 * The fields an evaluate step adds to a container step's (schema.ts spreads the container shape,
 * then these): importing the container schema here would be an import cycle.
 */
export const evaluateStepShape = {
  kind: z.literal('evaluate'),
  /** The candidate: `steps.<id>.outputs.<name>` or `models:/name@alias|/N`. */
  model: modelOrData,
  /** What both models are scored on. */
  data: modelOrData,
  /** The model to compare with, if it exists when the step runs (an alias that does not yet is no error). */
  baseline: z
    .string()
    .refine((v) => parseModelUri(v) !== undefined, { error: `must be a model URI: ${MODEL_URI_HINT}` })
    .optional(),
};
export type EvaluateStepSpec = Extract<StepSpec, { kind: 'evaluate' }>;

/** How the evaluation program runs: exactly what a container step carries. */
export type ContainerFields = Omit<ContainerPlanStep, keyof PlanStepBase | 'kind'>;

export interface EvaluatePlanStep extends PlanStepBase, ContainerFields {
  kind: 'evaluate';
  /** A `models:/` URI, resolved to a version when the step runs. */
  baseline?: string;
}

/** The spec's outputs plus metrics.json, which every evaluation writes. */
export function evaluateOutputs(step: Pick<EvaluateStepSpec, 'outputs'>): string[] {
  const declared = step.outputs ?? [];
  return declared.includes(EVALUATE_METRICS_OUTPUT) ? [...declared] : [...declared, EVALUATE_METRICS_OUTPUT];
}

function source(src: string, what: string): InputSource {
  const ref = parseInputSource(src);
  if (typeof ref === 'string' || ref.type === 'param') throw new Error(`invalid ${what}`);
  return ref;
}

/** The evaluate-specific fields of the plan step; `model` and `data` become its inputs of those names. */
export function evaluateFields(
  step: EvaluateStepSpec,
  common: PlanStepBase,
): Pick<EvaluatePlanStep, 'kind' | 'inputs' | 'outputs' | 'baseline'> {
  return {
    kind: step.kind,
    inputs: {
      ...common.inputs,
      [EVALUATE_MODEL_INPUT]: source(step.model, `model of step ${step.id}`),
      [EVALUATE_DATA_INPUT]: source(step.data, `data of step ${step.id}`),
    },
    outputs: evaluateOutputs(step),
    ...(step.baseline !== undefined ? { baseline: step.baseline } : {}),
  };
}

/** Input names the step's own `inputs` may not use: the model and data take them. */
export function reservedInputs(step: EvaluateStepSpec): string[] {
  return Object.keys(step.inputs ?? {}).filter((k) => k === EVALUATE_MODEL_INPUT || k === EVALUATE_DATA_INPUT);
}
