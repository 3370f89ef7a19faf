import { z } from 'zod';
import { APPROVAL_DECISIONS } from '../../core/runs/approval-update.js';
import { plainText } from './common.js';

export const approvalParams = z.strictObject({
  id: plainText(200).min(1),
  step: z
    .string()
    .max(63)
    .regex(/^[A-Za-z0-9_][A-Za-z0-9._-]*$/, 'not a step id'),
});

export const approvalBody = z
  .strictObject({
    comment: plainText(2000).optional().describe('Why: recorded in the step, the audit trail and a rejection reason'),
  })
  .default({});

export const approvalResult = z.object({
  step: z.string(),
  decision: z.enum(APPROVAL_DECISIONS),
  by: z.string().describe('The name of the key that decided, or `timeout`'),
  byKey: z.string().optional(),
  comment: z.string().nullable(),
  at: z.string(),
  repeated: z.boolean().describe('true when this decision had already been made (nothing changed)'),
});
