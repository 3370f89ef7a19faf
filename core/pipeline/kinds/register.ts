/** The `register` kind: a model version from a step output, with metrics, params and lineage. */
import { z } from 'zod';
import { parseInputSource } from '../inputs.js';
import type { InputSource, PlanStepBase } from '../plan.js';
import { ALIAS_NAME, ALIAS_NAME_HINT, MODEL_NAME, MODEL_NAME_HINT, RESERVED_ALIASES } from '../../registry/names.js';
import { inputSource, stepBase, stepId } from './base.js';

const modelName = z.string().regex(MODEL_NAME, { error: `must be ${MODEL_NAME_HINT}` });
export const aliasName = z
  .string()
  .regex(ALIAS_NAME, { error: `must be ${ALIAS_NAME_HINT}` })
  .refine((a) => !RESERVED_ALIASES.includes(a), { error: 'always means the newest version; choose another name' });

export const registerStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('register'),
  model: modelName,
  /** The model file: `steps.<id>.outputs.<name>` (or an artifact URI). */
  artifact: inputSource,
  /** Steps whose metrics the version carries (later steps win on a name clash). */
  metricsFrom: z.array(stepId).optional(),
  /** An alias that moves to the new version, e.g. `challenger`. */
  alias: aliasName.optional(),
});
export type RegisterStepSpec = z.infer<typeof registerStepSchema>;

/** The plan's input name under which the artifact is resolved. */
export const REGISTER_ARTIFACT_INPUT = 'artifact';

export interface RegisterPlanStep extends PlanStepBase {
  kind: 'register';
  model: string;
  metricsFrom: string[];
  alias?: string;
}

export function registerFields(
  step: RegisterStepSpec,
  common: PlanStepBase,
): Pick<RegisterPlanStep, 'kind' | 'model' | 'metricsFrom' | 'alias' | 'inputs'> {
  const ref = parseInputSource(step.artifact);
  if (typeof ref === 'string' || ref.type === 'param') throw new Error(`step ${step.id}: invalid artifact`);
  const artifact: InputSource = ref;
  return {
    kind: step.kind,
    model: step.model,
    metricsFrom: [...(step.metricsFrom ?? [])],
    ...(step.alias !== undefined ? { alias: step.alias } : {}),
    inputs: { ...common.inputs, [REGISTER_ARTIFACT_INPUT]: artifact },
  };
}
