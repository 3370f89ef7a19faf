/** The `promote` kind: moves an alias to the version a register step made, recording the previous holder. */
import { z } from 'zod';
import type { PlanStepBase } from '../plan.js';
import { stepBase, stepId } from './base.js';
import { aliasName } from './register.js';

export const DEFAULT_PROMOTE_ALIAS = 'champion';

export const promoteStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('promote'),
  /** The register step whose version takes the alias. */
  from: stepId,
  alias: aliasName.default(DEFAULT_PROMOTE_ALIAS),
});
export type PromoteStepSpec = z.infer<typeof promoteStepSchema>;

export interface PromotePlanStep extends PlanStepBase {
  kind: 'promote';
  from: string;
  alias: string;
}

export function promoteFields(step: PromoteStepSpec): Pick<PromotePlanStep, 'kind' | 'from' | 'alias'> {
  return { kind: step.kind, from: step.from, alias: step.alias };
}
