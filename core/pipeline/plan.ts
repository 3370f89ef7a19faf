/** Compiles a validated spec and resolved params into the JSON-serialisable plan the workflow walks. */
import { stepDependencies, topoOrder } from './dag.js';
import { parseExpr, type Expr } from './expr.js';
import { ingestFields, type IngestPlanStep } from './kinds/ingest.js';
import { gateFields, type GatePlanStep } from './kinds/gate.js';
import { promoteFields, type PromotePlanStep } from './kinds/promote.js';
import { deployFields, type DeployPlanStep } from './kinds/deploy.js';
import { registerFields, type RegisterPlanStep } from './kinds/register.js';
import { isSourceUri, parseInputSource } from './inputs.js';
import type { ResolvedParams } from './params.js';
import type { ContainerStepSpec, ExecutorName, PipelineSpec, StepSpec } from './schema.js';
import { renderTemplate } from './template.js';
import { approveFields, type ApprovePlanStep } from './kinds/approve.js';
import { evaluateFields, type EvaluatePlanStep, type EvaluateStepSpec } from './kinds/evaluate.js';
import { parseDuration, parseMemory } from './units.js';

export type InputSource = { type: 'step'; step: string; output: string } | { type: 'uri'; uri: string };

/** What every step kind's plan carries: identity, data flow, scheduling and retry policy. */
export interface PlanStepBase {
  id: string;
  inputs: Record<string, InputSource>;
  outputs: string[];
  timeoutMs: number;
  retry: { maximumAttempts: number; initialIntervalMs: number; backoffCoefficient: number; maximumIntervalMs: number };
  cache: boolean;
  when?: Expr;
  whenSource?: string;
  /** All direct dependencies (explicit, inputs, `when` references), deduplicated and sorted. */
  dependsOn: string[];
}

/** A user's container (or local process): the kind the executors run. */
export interface ContainerPlanStep extends PlanStepBase {
  kind: 'container';
  image: string;
  command: string[];
  args: string[];
  env: Record<string, string>;
  resources: { cpu?: number; memoryMb?: number; gpus?: number };
  executor?: ExecutorName;
  /** The pipeline's code package (`sha256:<hex>`), the step's working directory. */
  code?: string;
  python?: { requirements: string };
  /** Only when the spec asks; the executor's default (`none`) otherwise. */
  network?: 'none' | 'host';
  /** Env vars from Kubernetes Secrets, by reference (kubernetes executor only). */
  secrets?: { env: string; secret: string; key: string }[];
}

/** One variant per step kind, discriminated by `kind` (as the spec's steps are). */
export type PlanStep =
  | ContainerPlanStep
  | IngestPlanStep
  | GatePlanStep
  | RegisterPlanStep
  | PromotePlanStep
  | ApprovePlanStep
  | EvaluatePlanStep
  | DeployPlanStep;

export interface Plan {
  pipeline: string;
  version: number;
  params: ResolvedParams;
  parallelism: number;
  onFailure: 'cancel' | 'wait';
  /** Topological order; ties keep the order of the spec. */
  steps: PlanStep[];
}

export interface CompileOptions {
  version: number;
  /** `false` disables the cache on every step (e.g. `sluice run --no-cache`). */
  cache?: boolean;
}

export const DEFAULT_TIMEOUT = '1h';
/** Temporal's own default: the retry interval is capped at 100x the initial interval. */
const DEFAULT_MAX_BACKOFF_FACTOR = 100;

function resolveInput(src: string, params: ResolvedParams): InputSource {
  const ref = parseInputSource(src);
  if (typeof ref === 'string') throw new Error(ref);
  if (ref.type !== 'param') return ref;
  const value = params[ref.name];
  if (typeof value !== 'string' || !isSourceUri(value)) {
    throw new Error(`param '${ref.name}' must hold a URI to be used as an input, got ${JSON.stringify(value)}`);
  }
  return { type: 'uri', uri: value };
}

function commonFields(spec: PipelineSpec, step: StepSpec, params: ResolvedParams, opts: CompileOptions) {
  const retries = step.retries;
  const initialIntervalMs = parseDuration(retries?.backoff ?? '1s');
  return {
    id: step.id,
    inputs: Object.fromEntries(Object.entries(step.inputs ?? {}).map(([k, src]) => [k, resolveInput(src, params)])),
    outputs: [...(step.outputs ?? [])],
    timeoutMs: parseDuration(step.timeout ?? DEFAULT_TIMEOUT),
    retry: {
      maximumAttempts: retries?.attempts ?? 1,
      initialIntervalMs,
      backoffCoefficient: retries?.coefficient ?? 2,
      maximumIntervalMs:
        retries?.maxBackoff !== undefined
          ? parseDuration(retries.maxBackoff)
          : initialIntervalMs * DEFAULT_MAX_BACKOFF_FACTOR,
    },
    cache: opts.cache === false ? false : (step.cache ?? spec.settings.cache),
    ...(step.when !== undefined ? { when: parseExpr(step.when), whenSource: step.when } : {}),
    dependsOn: stepDependencies(step),
  };
}

/** How a container runs; an evaluate step's evaluation program runs the same way. */
function containerFields(spec: PipelineSpec, step: ContainerStepSpec | EvaluateStepSpec, params: ResolvedParams) {
  const render = (s: string): string => renderTemplate(s, params);
  const { cpu, memory, gpus } = step.resources ?? {};
  const executor = step.executor ?? spec.settings.executor;
  return {
    image: step.image,
    command: (step.command ?? []).map(render),
    args: (step.args ?? []).map(render),
    env: Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, render(v)])),
    resources: {
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memoryMb: Math.ceil(parseMemory(memory)) } : {}),
      ...(gpus !== undefined ? { gpus } : {}),
    },
    ...(executor !== undefined ? { executor } : {}),
    ...(spec.code !== undefined ? { code: spec.code } : {}),
    ...(step.python !== undefined ? { python: { requirements: step.python.requirements } } : {}),
    ...(step.network !== undefined ? { network: step.network } : {}),
    ...(step.secrets?.length ? { secrets: step.secrets.map(({ env, secret, key }) => ({ env, secret, key })) } : {}),
  };
}

/** Expects a spec accepted by parsePipelineSpec and params from resolveParams; throws on anything else. */
export function compilePlan(spec: PipelineSpec, params: ResolvedParams, opts: CompileOptions): Plan {
  const compiled = new Map<string, PlanStep>();
  for (const step of spec.steps) {
    const common = commonFields(spec, step, params, opts);
    switch (step.kind) {
      case 'container':
        compiled.set(step.id, { ...common, kind: step.kind, ...containerFields(spec, step, params) });
        break;
      case 'ingest':
        compiled.set(step.id, { ...common, ...ingestFields(step) });
        break;
      case 'gate':
        compiled.set(step.id, { ...common, ...gateFields(step) });
        break;
      case 'register':
        compiled.set(step.id, { ...common, ...registerFields(step, common) });
        break;
      case 'promote':
        compiled.set(step.id, { ...common, ...promoteFields(step) });
        break;
      case 'approve':
        compiled.set(step.id, { ...common, ...approveFields(step) });
        break;
      case 'deploy':
        compiled.set(step.id, { ...common, ...deployFields(step, spec.code) });
        break;
      case 'evaluate':
        compiled.set(step.id, { ...common, ...containerFields(spec, step, params), ...evaluateFields(step, common) });
        break;
      default: {
        const unknownKind: never = step;
        throw new Error(`unsupported step kind '${(unknownKind as { kind: string }).kind}'`);
      }
    }
  }
  const deps = new Map([...compiled.values()].map((s) => [s.id, s.dependsOn]));
  const topo = topoOrder([...compiled.keys()], deps);
  if (!topo.ok) throw new Error(`cycle: ${topo.cycle.join(' -> ')}`);
  return {
    pipeline: spec.name,
    version: opts.version,
    params: { ...params },
    parallelism: spec.settings.parallelism,
    onFailure: spec.settings.onFailure,
    steps: topo.order.map((id) => compiled.get(id)!),
  };
}
