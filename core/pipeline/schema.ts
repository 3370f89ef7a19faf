/** Structural schema of a pipeline spec (zod). Cross-field checks (references, cycles…) live in checks.ts. */
import { z } from 'zod';
import { FILE_NAME, PARAM_NAME, STEP_ID, isFileName, parseInputSource } from './inputs.js';
import { parseDuration, parseMemory } from './units.js';

export { parseDuration, parseMemory } from './units.js';

export const API_VERSION = 'sluice/v1';
/** Pipeline names (and schedule names, which share the rule): they appear in workflow ids and URLs. */
/** `validate` would be shadowed by the API's POST /v1/pipelines/validate. */
export const PIPELINE_NAME = /^(?!validate$)[a-z][a-z0-9-]{0,62}$/;
export const PIPELINE_NAME_HINT = 'must be 1..63 chars of [a-z0-9-], starting with a letter (and not "validate")';
export const EXECUTORS = ['docker', 'process', 'kubernetes'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

function parsesWith(parse: (v: string | number) => unknown, what: string) {
  return z.union([z.string(), z.number()], { error: `expected a ${what} string or number` }).superRefine((v, ctx) => {
    try {
      parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
    }
  });
}
const duration = parsesWith(parseDuration, 'duration');
const memory = parsesWith(parseMemory, 'memory');
const description = z.string().optional();

const numberParam = z.strictObject({
  type: z.enum(['number', 'integer']),
  default: z.number().optional(),
  min: z.number().optional(),
  max: z.number().optional(),
  description,
});
const stringParam = z.strictObject({ type: z.literal('string'), default: z.string().optional(), description });
const booleanParam = z.strictObject({ type: z.literal('boolean'), default: z.boolean().optional(), description });
const enumParam = z.strictObject({
  type: z.literal('enum'),
  values: z.array(z.string()).min(1, 'an enum needs at least one value'),
  default: z.string().optional(),
  description,
});
export const paramSchema = z.discriminatedUnion('type', [numberParam, stringParam, booleanParam, enumParam]);
export type ParamSpec = z.infer<typeof paramSchema>;

const fileName = z.string().refine(isFileName, { error: `must match ${FILE_NAME} and not be '.' or '..'` });
const stepId = z
  .string()
  .regex(STEP_ID, { error: `must match ${STEP_ID}` })
  .max(63);
const inputSource = z.string().superRefine((v, ctx) => {
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
const stepBase = {
  id: stepId,
  inputs: z.record(fileName, inputSource).optional(),
  outputs: z.array(fileName).optional(),
  timeout: duration.optional(),
  retries: retries.optional(),
  cache: z.boolean().optional(),
  when: z.string().min(1).optional(),
  dependsOn: z.array(z.string()).optional(),
};

// The executor sets SLUICE_* (SLUICE_PARAMS, SLUICE_INPUTS_DIR…) and overrides the step's env with them.
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name')
  .refine((k) => !k.startsWith('SLUICE_'), 'SLUICE_* variables are reserved (set by the executor)');
const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' })
  .transform(String);

export const containerStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('container'),
  image: z.string().min(1),
  command: z.array(z.string()).optional(),
  args: z.array(z.string()).optional(),
  env: z.record(envName, envValue).optional(),
  resources: z
    .strictObject({
      cpu: z.number().positive().optional(),
      memory: memory.optional(),
      gpus: z.number().int().min(0).optional(),
    })
    .optional(),
  executor: z.enum(EXECUTORS).optional(),
});
export type ContainerStepSpec = z.infer<typeof containerStepSchema>;

/** A new built-in step kind is one more variant here (plus its case in plan.ts). */
export const stepSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'container' } : v),
  z.discriminatedUnion('kind', [containerStepSchema]),
);
export type StepSpec = z.infer<typeof stepSchema>;
export type StepKind = StepSpec['kind'];

export const settingsSchema = z.strictObject({
  parallelism: z.number().int().min(1).max(64).default(4),
  onFailure: z.enum(['cancel', 'wait']).default('wait'),
  cache: z.boolean().default(true),
  executor: z.enum(EXECUTORS).optional(),
});

export const pipelineSchema = z.strictObject({
  apiVersion: z.literal(API_VERSION, {
    error: (iss) =>
      iss.input === undefined
        ? `apiVersion is required ('${API_VERSION}')`
        : `unsupported apiVersion ${JSON.stringify(iss.input)}; expected '${API_VERSION}'`,
  }),
  name: z.string().regex(PIPELINE_NAME, PIPELINE_NAME_HINT),
  description,
  params: z.record(z.string().regex(PARAM_NAME, `param names must match ${PARAM_NAME}`), paramSchema).optional(),
  settings: settingsSchema.prefault({}),
  steps: z.array(stepSchema).min(1, 'a pipeline needs at least one step'),
});
export type PipelineSpec = z.infer<typeof pipelineSchema>;
export type PipelineSettings = PipelineSpec['settings'];
