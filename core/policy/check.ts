/** Checks what steps ask for against a StepPolicy: at apply time (the spec) and at run time (the plan step). */
import type { DeploymentSpec } from '../deployments/spec.js';
import type { ContainerPlanStep } from '../pipeline/plan.js';
import { DEFAULT_TIMEOUT } from '../pipeline/plan.js';
import type { ExecutorName, PipelineSpec } from '../pipeline/schema.js';
import { parseDuration, parseMemory } from '../pipeline/units.js';
import type { PolicyRule, PolicyViolation, StepPolicy } from './schema.js';

/** What the policy looks at in one step, whichever form it came in. */
export interface PolicySubject {
  id: string;
  /** Undefined at apply time when neither the step nor the settings name one: the worker's default. */
  executor?: ExecutorName;
  image: string;
  network: 'none' | 'host';
  cpu?: number;
  memoryMb?: number;
  timeoutMs: number;
}

const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)} s`;

function violationsOf(policy: StepPolicy, s: PolicySubject): PolicyViolation[] {
  const out: PolicyViolation[] = [];
  const add = (rule: PolicyRule, message: string) => out.push({ step: s.id, rule, message });
  if (s.executor !== undefined && !policy.executors.includes(s.executor)) {
    add(
      'executor',
      `the ${s.executor} executor is not allowed here (allowed: ${policy.executors.join(', ') || 'none'})`,
    );
  }
  // A local process has no image; every other executor runs one.
  const prefixes = policy.imagePrefixes;
  if (s.executor !== 'process' && prefixes && !prefixes.some((p) => s.image.startsWith(p))) {
    add('image', `image "${s.image}" does not start with an allowed prefix (${prefixes.join(', ')})`);
  }
  if (s.network === 'host' && !policy.hostNetwork) {
    add('network', "network host is not allowed: it reaches every service on the worker's loopback");
  }
  if (policy.maxCpu !== undefined && s.cpu !== undefined && s.cpu > policy.maxCpu) {
    add('cpu', `cpu ${s.cpu} exceeds the maximum of ${policy.maxCpu}`);
  }
  if (policy.maxMemoryMb !== undefined && s.memoryMb !== undefined && s.memoryMb > policy.maxMemoryMb) {
    add('memory', `memory ${+s.memoryMb.toFixed(1)} MiB exceeds the maximum of ${+policy.maxMemoryMb.toFixed(1)} MiB`);
  }
  if (policy.maxTimeoutMs !== undefined && s.timeoutMs > policy.maxTimeoutMs) {
    add('timeout', `timeout ${seconds(s.timeoutMs)} exceeds the maximum of ${seconds(policy.maxTimeoutMs)}`);
  }
  return out;
}

/** Every violation of every step, in step order. */
export function checkSteps(policy: StepPolicy, steps: readonly PolicySubject[]): PolicyViolation[] {
  return steps.flatMap((s) => violationsOf(policy, s));
}

/**
 * A deployment's model server as the policy sees it. It runs the user's code as a step does: the
 * executor, image, cpu and memory rules apply. A server in a container shares the host's network
 * (the gateway reaches every server on the worker's loopback), so serving from containers needs
 * the policy to allow host networking. A server runs until stopped: no timeout applies.
 */
export function serverSubject(id: string, server: DeploymentSpec['server']): PolicySubject {
  const executor = server.executor ?? 'process';
  const { cpu, memory } = server.resources ?? {};
  return {
    id,
    executor,
    image: server.image ?? '',
    network: executor === 'docker' ? 'host' : 'none',
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memory !== undefined ? { memoryMb: Math.ceil(parseMemory(memory)) } : {}),
    timeoutMs: 0,
  };
}

/** The server of a deployment spec against the policy; issues name `<prefix>server.<field>`. */
export function checkServer(
  policy: StepPolicy,
  server: DeploymentSpec['server'],
  pathPrefix = '$.',
): Array<{ path: string; message: string; rule: PolicyRule }> {
  return violationsOf(policy, serverSubject('server', server)).map((v) => ({
    path: `${pathPrefix}server.${SERVER_FIELD[v.rule]}`,
    message: `the model server: policy rule "${v.rule}": ${v.rule === 'network' ? SERVER_NETWORK : v.message}`,
    rule: v.rule,
  }));
}

/** The steps of a validated spec as the policy sees them (the image is not templated, so it is final here). */
export function specSubjects(spec: PipelineSpec): PolicySubject[] {
  // A deploy step with an inline spec starts the user's model server.
  const servers = spec.steps.flatMap((s) =>
    s.kind === 'deploy' && s.spec ? [serverSubject(s.id, s.spec.server)] : [],
  );
  // Built-in kinds that run no user code of their own (ingest, gate…) have nothing to police;
  // an evaluate step runs the user's evaluation container.
  const containers = spec.steps.flatMap((s) => (s.kind === 'container' || s.kind === 'evaluate' ? [s] : []));
  const steps = containers.map((step): PolicySubject => {
    const executor = step.executor ?? spec.settings.executor;
    const { cpu, memory } = step.resources ?? {};
    return {
      id: step.id,
      ...(executor !== undefined ? { executor } : {}),
      image: step.image,
      network: step.network ?? 'none',
      ...(cpu !== undefined ? { cpu } : {}),
      ...(memory !== undefined ? { memoryMb: Math.ceil(parseMemory(memory)) } : {}),
      timeoutMs: parseDuration(step.timeout ?? DEFAULT_TIMEOUT),
    };
  });
  const order = new Map(spec.steps.map((s, i) => [s.id, i]));
  return [...steps, ...servers].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
}

export function checkSpec(policy: StepPolicy, spec: PipelineSpec): PolicyViolation[] {
  return checkSteps(policy, specSubjects(spec));
}

/** One compiled step on the executor the worker chose for it. */
export function checkPlanStep(policy: StepPolicy, step: ContainerPlanStep, executor: ExecutorName): PolicyViolation[] {
  const { cpu, memoryMb } = step.resources;
  return violationsOf(policy, {
    id: step.id,
    executor,
    image: step.image,
    network: step.network ?? 'none',
    ...(cpu !== undefined ? { cpu } : {}),
    ...(memoryMb !== undefined ? { memoryMb } : {}),
    timeoutMs: step.timeoutMs,
  });
}

const FIELD: Record<PolicyRule, string> = {
  executor: 'executor',
  image: 'image',
  network: 'network',
  cpu: 'resources.cpu',
  memory: 'resources.memory',
  timeout: 'timeout',
};

const SERVER_NETWORK =
  'a model server in a container runs on the host network (the gateway reaches it on loopback), and the policy does not allow host networking; serve it as a process or allow hostNetwork';

/** The server's fields: a container server's host network follows from its executor. */
const SERVER_FIELD: Record<PolicyRule, string> = {
  ...FIELD,
  network: 'executor',
  cpu: 'resources.cpu',
  memory: 'resources.memory',
};

/** Violations as field issues of the spec: `$.steps[2].image`, the message naming the step and the rule. */
export function violationIssues(
  spec: PipelineSpec,
  violations: readonly PolicyViolation[],
): Array<{ path: string; message: string; rule: PolicyRule }> {
  return violations.map((v) => {
    const index = spec.steps.findIndex((s) => s.id === v.step);
    const field = spec.steps[index]?.kind === 'deploy' ? `spec.server.${SERVER_FIELD[v.rule]}` : FIELD[v.rule];
    return {
      path: `$.steps[${index}].${field}`,
      message: `step ${v.step}: policy rule "${v.rule}": ${v.message}`,
      rule: v.rule,
    };
  });
}
