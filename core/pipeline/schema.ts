/** Structural schema of a pipeline spec (zod). Cross-field checks (references, cycles…) live in checks.ts. */
import { z } from 'zod';
import { PARAM_NAME } from './inputs.js';
import { parsesWith, stepBase } from './kinds/base.js';
import { ingestStepSchema } from './kinds/ingest.js';
import { gateStepSchema } from './kinds/gate.js';
import { promoteStepSchema } from './kinds/promote.js';
import { registerStepSchema } from './kinds/register.js';
import { parseMemory } from './units.js';
import { approveStepShape } from './kinds/approve.js';
import { evaluateStepShape } from './kinds/evaluate.js';
import { deployStepSchema } from './kinds/deploy.js';

export { stepBase } from './kinds/base.js';
export { parseDuration, parseMemory } from './units.js';

export const API_VERSION = 'sluice/v1';
/** Pipeline names (and schedule names, which share the rule): they appear in workflow ids and URLs. */
/** `validate` would be shadowed by the API's POST /v1/pipelines/validate. */
export const PIPELINE_NAME = /^(?!validate$)[a-z][a-z0-9-]{0,62}$/;
export const PIPELINE_NAME_HINT = 'must be 1..63 chars of [a-z0-9-], starting with a letter (and not "validate")';
export const EXECUTORS = ['docker', 'process', 'kubernetes'] as const;
export type ExecutorName = (typeof EXECUTORS)[number];

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

// The executor sets SLUICE_* (SLUICE_PARAMS, SLUICE_INPUTS_DIR…) and overrides the step's env with them.
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name')
  .refine((k) => !k.startsWith('SLUICE_'), 'SLUICE_* variables are reserved (set by the executor)');
const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' })
  .transform(String);

const K8S_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** A path inside the code package: relative, without `..`. */
const codePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the code package');
/** How `code:` names a stored package; `sluice pipelines apply -f` turns a directory into this. */
export const CODE_DIGEST = /^sha256:[0-9a-f]{64}$/;

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
  /**
   * Environment variables from Kubernetes Secrets, by reference (kubernetes executor only): the
   * kubelet reads them, their values never pass through Sluice.
   */
  secrets: z
    .array(
      z.strictObject({
        env: envName,
        secret: z.string().regex(K8S_NAME, 'expected a Kubernetes Secret name (lowercase DNS-1123 subdomain)'),
        key: z.string().regex(/^[-._a-zA-Z0-9]{1,253}$/, 'expected a Secret key ([-._a-zA-Z0-9]+)'),
      }),
    )
    .max(64)
    .optional(),
  /** The process executor builds a venv from these requirements; with Docker the image is the environment. */
  python: z.strictObject({ requirements: codePath }).optional(),
  // `host` reaches every service on the worker's loopback: the step policy decides whether it is allowed.
  network: z.enum(['none', 'host']).optional(),
});
export type ContainerStepSpec = z.infer<typeof containerStepSchema>;

/** A new built-in step kind is one more variant here (plus its case in plan.ts). */
export const stepSchema = z.preprocess(
  (v) => (v !== null && typeof v === 'object' && !Array.isArray(v) && !('kind' in v) ? { ...v, kind: 'container' } : v),
  z.discriminatedUnion('kind', [
    containerStepSchema,
    ingestStepSchema,
    gateStepSchema,
    registerStepSchema,
    promoteStepSchema,
    z.strictObject({ ...stepBase, ...approveStepShape }),
    // An evaluation runs as a container step does, so it takes the same fields.
    z.strictObject({ ...containerStepSchema.shape, ...evaluateStepShape }),
    deployStepSchema,
  ]),
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
  code: z
    .string()
    .regex(CODE_DIGEST, {
      error:
        'must name a stored code package (sha256:<64 hex>); `sluice pipelines apply -f` packs and uploads the directory it names',
    })
    .optional(),
  settings: settingsSchema.prefault({}),
  steps: z.array(stepSchema).min(1, 'a pipeline needs at least one step'),
});
export type PipelineSpec = z.infer<typeof pipelineSchema>;
export type PipelineSettings = PipelineSpec['settings'];
