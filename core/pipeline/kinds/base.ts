/** Spec fields every step kind shares; each kind's schema spreads `stepBase` (kept apart from schema.ts to avoid an import cycle). */
import { z } from 'zod';
import { FILE_NAME, STEP_ID, isFileName, parseInputSource } from '../inputs.js';
import { parseDuration } from '../units.js';

export function parsesWith(parse: (v: string | number) => unknown, what: string) {
  return z.union([z.string(), z.number()], { error: `expected a ${what} string or number` }).superRefine((v, ctx) => {
    try {
      parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
}
export const duration = parsesWith(parseDuration, 'duration');

const fileName = z.string().refine(isFileName, { error: `must match ${FILE_NAME} and not be '.' or '..'` });
export const stepId = z
  .string()
  .regex(STEP_ID, { error: `must match ${STEP_ID}` })
  .max(63);
export const inputSource = z.string().superRefine((v, ctx) => {
  const ref = parseInputSource(v);
  if (typeof ref === 'string') ctx.addIssue({ code: 'custom', message: ref });
});

const retries = z.strictObject({
  attempts: z.number().int().min(1).default(1),
  backoff: duration.default('1s'),
  maxBackoff: duration.optional(),
  coefficient: z.number().min(1).default(2),
});

/** Fields every step kind shares: identity, data flow, scheduling and retry policy. */
export const stepBase = {
  id: stepId,
  inputs: z.record(fileName, inputSource).optional(),
  outputs: z.array(fileName).optional(),
  timeout: duration.optional(),
  retries: retries.optional(),
  cache: z.boolean().optional(),
  when: z.string().min(1).optional(),
  dependsOn: z.array(z.string()).optional(),
};
