/** The `gate` kind: checks over another step's metrics (and its baseline's); a failed gate is a normal outcome. */
import { z } from 'zod';
import type { PlanStepBase } from '../plan.js';
import { stepBase, stepId } from './base.js';

export const GATE_DIRECTIONS = ['higher', 'lower'] as const;

const gateCheck = z
  .strictObject({
    metric: z.string().min(1),
    /** Which way is better. */
    direction: z.enum(GATE_DIRECTIONS).default('higher'),
    /** Absolute bound the value must reach (>= for higher, <= for lower). */
    threshold: z.number().optional(),
    /** Minimum absolute improvement over the baseline's value. */
    minGain: z.number().optional(),
    /** Minimum improvement over the baseline as a fraction of the baseline's value (0.01 = 1%). */
    minRelativeGain: z.number().optional(),
  })
  .refine((c) => c.threshold !== undefined || c.minGain !== undefined || c.minRelativeGain !== undefined, {
    error: 'a check needs at least one of threshold, minGain, minRelativeGain',
  });

export const gateStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('gate'),
  /** The step whose metrics are checked (an evaluate step also gives baseline values). */
  metricsFrom: stepId,
  checks: z.array(gateCheck).min(1, 'a gate needs at least one check'),
});
export type GateStepSpec = z.infer<typeof gateStepSchema>;
export type GateCheck = z.infer<typeof gateCheck>;

export interface GatePlanStep extends PlanStepBase {
  kind: 'gate';
  metricsFrom: string;
  checks: GateCheck[];
}

export function gateFields(step: GateStepSpec): Pick<GatePlanStep, 'kind' | 'metricsFrom' | 'checks'> {
  return { kind: step.kind, metricsFrom: step.metricsFrom, checks: step.checks.map((c) => ({ ...c })) };
}
