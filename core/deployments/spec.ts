/** The deployment spec (YAML or JSON): what serves, how it starts, how a rollout is checked. */
import { z } from 'zod';
import { MonitoringSchema, RetrainSchema } from '../drift/config.js';
import { parseMemory } from '../pipeline/units.js';
import { MODEL_NAME } from '../registry/names.js';

/** Deployment names appear in workflow ids (`deployment:<name>`), URLs and process environments. */
export const DEPLOYMENT_NAME = /^[a-z][a-z0-9-]{0,62}$/;
export const DEPLOYMENT_NAME_HINT = 'must be 1..63 chars of [a-z0-9-], starting with a letter';
export const deploymentName = z.string().regex(DEPLOYMENT_NAME, DEPLOYMENT_NAME_HINT);

// The worker sets SLUICE_MODEL_DIR, SLUICE_PORT… and they win over the spec's env.
const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'invalid environment variable name')
  .refine((k) => !k.startsWith('SLUICE_'), 'SLUICE_* variables are reserved (set by the worker)');
const envValue = z
  .union([z.string(), z.number(), z.boolean()], { error: 'expected a string, number or boolean' })
  .transform(String);
const codePath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..'), 'must be a path inside the code package');

function validMemory(m: string): boolean {
  try {
    parseMemory(m);
    return true;
  } catch {
    return false;
  }
}

export const SERVER_EXECUTORS = ['process', 'docker', 'kubernetes'] as const;
export type ServerExecutor = (typeof SERVER_EXECUTORS)[number];

export const serverSchema = z
  .strictObject({
    /** Where the server runs: a local process (the default), a container of `image`, or a Deployment of it on Kubernetes. */
    executor: z.enum(SERVER_EXECUTORS).optional(),
    /** The server's image (docker, kubernetes); ignored by the process executor, as for steps. */
    image: z.string().min(1).max(500).optional(),
    command: z.array(z.string().min(1).max(4096)).min(1, 'the server needs a command').max(200),
    /** The process executor builds a venv from these requirements (as for steps); needs `code`. */
    python: z.strictObject({ requirements: codePath }).optional(),
    env: z.record(envName, envValue).optional(),
    resources: z
      .strictObject({
        cpu: z.number().positive().max(256).optional(),
        memory: z
          .string()
          .max(32)
          .refine((m) => validMemory(m), 'expected a memory size such as 512Mi, 2Gi or 1G')
          .optional(),
      })
      .optional(),
    readyTimeoutSeconds: z.number().positive().max(3600).default(120),
  })
  .superRefine((s, ctx) => {
    if (s.executor !== undefined && s.executor !== 'process' && s.image === undefined)
      ctx.addIssue({ code: 'custom', path: ['image'], message: `the ${s.executor} executor needs an image` });
  });

export const smokeSchema = z.strictObject({
  rows: z.array(z.record(z.string(), z.unknown())).min(1, 'a smoke request needs at least one row').max(100),
  /** The predictions expected for `rows`, compared as JSON; any one per row when absent. */
  expect: z.array(z.unknown()).optional(),
});

const percent = z.number().int().min(1).max(100);
export const rolloutSchema = z
  .strictObject({
    strategy: z.enum(['all-at-once', 'canary']).default('all-at-once'),
    /** Canary: the new version's share after each step, rising, ending at 100. */
    steps: z.array(percent).min(1).max(20).optional(),
    /** How long each step bakes (alarms are checked at its end); after the last one the old version stops. */
    bakeSeconds: z.number().min(0).max(86_400).default(0),
  })
  .superRefine((r, ctx) => {
    if (r.strategy !== 'canary') return;
    const steps = r.steps ?? [];
    if (steps.length === 0)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'canary needs steps, e.g. [10, 50, 100]' });
    if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!))
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'canary steps must rise' });
    if (steps.length > 0 && steps[steps.length - 1] !== 100)
      ctx.addIssue({ code: 'custom', path: ['steps'], message: 'the last canary step must be 100' });
  });

export const alarmsSchema = z.strictObject({
  /** Errors / requests of the new version during a bake, 0..1. */
  maxErrorRate: z.number().min(0).max(1).optional(),
  maxP95Ms: z.number().positive().optional(),
  /** Below this many requests in a bake the alarms are not judged. */
  minRequests: z.number().int().min(0).default(1),
});

export const deploymentSpecSchema = z.strictObject({
  name: deploymentName,
  /** The registered model this deployment serves (its name in the registry). */
  model: z.string().regex(MODEL_NAME, 'not a model name'),
  server: serverSchema,
  /** A code package digest: the server's working directory, as for steps. */
  code: z
    .string()
    .regex(/^sha256:[0-9a-f]{64}$/, 'expected a code package digest sha256:<64 hex>')
    .optional(),
  smoke: smokeSchema.optional(),
  rollout: rolloutSchema.default({ strategy: 'all-at-once', bakeSeconds: 0 }),
  alarms: alarmsSchema.default({ minRequests: 1 }),
  // Owned by the monitor (drift) and retraining: kept as written until their schemas are wired.
  /** Drift monitoring of the traffic against the training data (core/drift/config.ts). */
  monitoring: MonitoringSchema.optional(),
  /** The pipeline a drifted data set starts, with its params and cool-down. */
  retrain: RetrainSchema.optional(),
});
export type DeploymentSpecInput = z.input<typeof deploymentSpecSchema>;
export type DeploymentSpec = z.output<typeof deploymentSpecSchema>;

/** The new version's share after each step of a rollout. */
export function trafficSteps(spec: DeploymentSpec): number[] {
  return spec.rollout.strategy === 'canary' ? (spec.rollout.steps ?? [100]) : [100];
}
