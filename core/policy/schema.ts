/** What an operator's steps may ask for: the policy's shapes, its defaults and its named rules. */
import { z } from 'zod';
import { EXECUTORS, type ExecutorName } from '../pipeline/schema.js';
import { parseDuration, parseMemory } from '../pipeline/units.js';

/** Each rule a step can break, as the API's 400 and the worker's failure name it. */
export const POLICY_RULES = ['executor', 'image', 'network', 'cpu', 'memory', 'timeout'] as const;
export type PolicyRule = (typeof POLICY_RULES)[number];

export interface PolicyViolation {
  step: string;
  rule: PolicyRule;
  message: string;
}

/** The policy as the API and the worker enforce it. */
export interface StepPolicy {
  executors: readonly ExecutorName[];
  /** Undefined: any image. */
  imagePrefixes?: readonly string[];
  hostNetwork: boolean;
  maxCpu?: number;
  maxMemoryMb?: number;
  maxTimeoutMs?: number;
  /** False: steps run as `user`, never as root. */
  allowRoot: boolean;
  user: { uid: number; gid: number };
  /**
   * Local process steps run as the worker's own user: set in the embedded stack, where the person who
   * ran `npm start` runs their own code (and its venvs live in their tools directory).
   */
  processAsWorker?: boolean;
}

/** The policy as configured: `executors` stays undefined unless set, since its default depends on the process. */
export type PolicySettings = Omit<StepPolicy, 'executors'> & { executors?: readonly ExecutorName[] };

/** nobody:nogroup on Debian; any non-root uid works, the outputs directory is handed to it. */
export const DEFAULT_STEP_USER = { uid: 65534, gid: 65534 } as const;

/**
 * The process executor runs a step's code on the worker's own machine, beside its credentials and
 * loopback services: only the embedded stack (one developer's machine) allows it unless configured.
 */
const SPLIT_EXECUTORS: readonly ExecutorName[] = ['docker', 'kubernetes'];

export function resolvePolicy(settings: PolicySettings, where: { embedded: boolean }): StepPolicy {
  return {
    ...settings,
    executors: settings.executors ?? (where.embedded ? EXECUTORS : SPLIT_EXECUTORS),
    ...(where.embedded ? { processAsWorker: true } : {}),
  };
}

/** Anything goes except root and host networking: what tests and tools build when they mean "no limits". */
export const OPEN_POLICY: StepPolicy = resolvePolicy(
  { hostNetwork: false, allowRoot: false, user: DEFAULT_STEP_USER },
  { embedded: true },
);

function parsed<T>(parse: (v: string | number) => T, what: string) {
  return z.union([z.string(), z.number()], { error: `expected a ${what}` }).transform((v, ctx) => {
    try {
      return parse(v);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });
}

const userSpec = z
  .string()
  .regex(/^\d{1,10}:\d{1,10}$/, 'expected uid:gid, e.g. 65534:65534')
  .transform((s) => {
    const [uid, gid] = s.split(':').map(Number) as [number, number];
    return { uid, gid };
  })
  .refine((u) => u.uid !== 0, 'the step user must not be root (uid 0); set allowRoot instead');

/** The policy file (YAML or JSON); every key optional. SLUICE_POLICY_* variables override its keys. */
export const policyFileSchema = z.strictObject({
  executors: z.array(z.enum(EXECUTORS)).optional(),
  imagePrefixes: z.array(z.string().min(1)).optional(),
  hostNetwork: z.boolean().optional(),
  maxCpu: z.number().positive().optional(),
  maxMemory: parsed(parseMemory, 'memory size such as 4Gi').optional(),
  maxTimeout: parsed(parseDuration, 'duration such as 2h').optional(),
  allowRoot: z.boolean().optional(),
  user: userSpec.optional(),
});
export type PolicyFile = z.infer<typeof policyFileSchema>;

const list = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()))
  .pipe(z.array(z.string().min(1, 'empty item in a comma-separated list')));

/** The SLUICE_POLICY_* variables, each the same as one key of the file. */
export const policyEnvSchema = z.object({
  SLUICE_POLICY_FILE: z.string().min(1).optional(),
  SLUICE_POLICY_EXECUTORS: list.pipe(z.array(z.enum(EXECUTORS))).optional(),
  SLUICE_POLICY_IMAGE_PREFIXES: list.optional(),
  SLUICE_POLICY_HOST_NETWORK: z.stringbool().optional(),
  SLUICE_POLICY_MAX_CPU: z.coerce.number().positive().optional(),
  SLUICE_POLICY_MAX_MEMORY: parsed(parseMemory, 'memory size such as 4Gi').optional(),
  SLUICE_POLICY_MAX_TIMEOUT: parsed(parseDuration, 'duration such as 2h').optional(),
  SLUICE_POLICY_ALLOW_ROOT: z.stringbool().optional(),
  SLUICE_POLICY_USER: userSpec.optional(),
});
export type PolicyEnv = z.infer<typeof policyEnvSchema>;
