/** The `deploy` kind: asks a deployment to serve a model version and waits for the rollout's outcome. */
import { z } from 'zod';
import { deploymentName, deploymentSpecSchema, type DeploymentSpec } from '../../deployments/spec.js';
import { parseModelUri } from '../../registry/uris.js';
import { MODEL_URI_HINT } from '../../registry/uris.js';
import type { PlanStepBase } from '../plan.js';
import { stepBase, stepId } from './base.js';

export const deployStepSchema = z
  .strictObject({
    ...stepBase,
    kind: z.literal('deploy'),
    /** The deployment (created from `spec` when it does not exist yet; `spec` also updates it). */
    deployment: deploymentName,
    /** The version to serve: a models:/ URI (e.g. models:/wine@champion) … */
    model: z
      .string()
      .refine((u) => parseModelUri(u) !== undefined, { error: `expected ${MODEL_URI_HINT}` })
      .optional(),
    /** … or the version a register step made. */
    from: stepId.optional(),
    /** An inline deployment spec without its name (the deployment's); `code` defaults to the pipeline's. */
    spec: deploymentSpecSchema.omit({ name: true }).optional(),
  })
  .superRefine((s, ctx) => {
    if ((s.model === undefined) === (s.from === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['model'],
        message: 'give exactly one of model (a models:/ URI) or from (a register step)',
      });
  });
export type DeployStepSpec = z.infer<typeof deployStepSchema>;

export interface DeployPlanStep extends PlanStepBase {
  kind: 'deploy';
  deployment: string;
  model?: string;
  from?: string;
  spec?: DeploymentSpec;
}

export function deployFields(
  step: DeployStepSpec,
  pipelineCode: string | undefined,
): Pick<DeployPlanStep, 'kind' | 'deployment' | 'model' | 'from' | 'spec'> {
  const code = step.spec?.code ?? pipelineCode;
  return {
    kind: step.kind,
    deployment: step.deployment,
    ...(step.model !== undefined ? { model: step.model } : {}),
    ...(step.from !== undefined ? { from: step.from } : {}),
    ...(step.spec ? { spec: { ...step.spec, name: step.deployment, ...(code ? { code } : {}) } } : {}),
  };
}
