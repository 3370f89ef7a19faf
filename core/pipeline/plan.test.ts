import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { evalWhen } from './expr-eval.js';
import { resolveParams } from './params.js';
import { compilePlan, type ContainerPlanStep, type PlanStep } from './plan.js';
import { parsePipelineSpec } from './validate.js';

const DIAMOND = `
apiVersion: sluice/v1
name: diamond
params:
  mode: { type: enum, values: [fast, full], default: fast }
  deploy: { type: boolean, default: false }
  src: { type: string, default: "s3://bucket/raw.csv" }
settings:
  cache: false
  executor: docker
steps:
  - id: d            # listed first: the plan order must still put it last
    image: img:1
    inputs: { left: steps.b.outputs.out, right: steps.c.outputs.out }
    when: "steps.b.metrics.score >= 0.5 && params.deploy == false"
  - id: a
    image: img:1
    inputs: { raw: params.src, pinned: "models:/churn/3" }
    outputs: [data.csv]
  - id: c
    image: img:1
    inputs: { data: steps.a.outputs.data.csv }
    outputs: [out]
    cache: true
    executor: process
  - id: b
    image: img:1
    command: [python3, "b.py"]
    args: ["--mode", "\${params.mode}", "$\${params.mode}", "\${HOME}"]
    env: { LEVEL: "\${params.mode}-\${params.deploy}", N: 3 }
    inputs: { data: steps.a.outputs.data.csv }
    outputs: [out]
    resources: { cpu: 1.5, memory: 1G, gpus: 1 }
    timeout: 90s
    retries: { attempts: 3, backoff: 2s, maxBackoff: 1m, coefficient: 3 }
  - id: e
    image: img:1
    when: "steps.a.status == 'succeeded'"
`;

function compile(yaml: string, given: Record<string, unknown> = {}, cache?: boolean) {
  const parsed = parsePipelineSpec(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const params = resolveParams(parsed.spec, given);
  if (!params.ok) throw new Error(JSON.stringify(params.errors));
  return compilePlan(parsed.spec, params.params, { version: 7, ...(cache !== undefined ? { cache } : {}) });
}
// The DIAMOND's steps are all containers.
const byId = (steps: PlanStep[]) => Object.fromEntries(steps.map((s) => [s.id, s as ContainerPlanStep]));

describe('compilePlan', () => {
  const plan = compile(DIAMOND, { mode: 'full' });
  const steps = byId(plan.steps);

  it('orders steps topologically, keeping spec order between independent steps', () => {
    expect(plan.steps.map((s) => s.id)).toEqual(['a', 'c', 'b', 'd', 'e']);
    expect(plan).toMatchObject({ pipeline: 'diamond', version: 7, parallelism: 4, onFailure: 'wait' });
    expect(plan.params).toEqual({ mode: 'full', deploy: false, src: 's3://bucket/raw.csv' });
  });

  it('derives dependsOn from inputs and when', () => {
    expect(steps.a!.dependsOn).toEqual([]);
    expect(steps.b!.dependsOn).toEqual(['a']);
    expect(steps.d!.dependsOn).toEqual(['b', 'c']);
    expect(steps.e!.dependsOn).toEqual(['a']);
  });

  it('adds a dependency for a step read only by when', () => {
    const plan2 = compile(DIAMOND.replace("steps.a.status == 'succeeded'", "steps.d.status == 'skipped'"));
    expect(byId(plan2.steps).e!.dependsOn).toEqual(['d']);
    expect(plan2.steps.map((s) => s.id).indexOf('e')).toBeGreaterThan(plan2.steps.map((s) => s.id).indexOf('d'));
  });

  it('substitutes params in command, args and env', () => {
    expect(steps.b!.command).toEqual(['python3', 'b.py']);
    expect(steps.b!.args).toEqual(['--mode', 'full', '${params.mode}', '${HOME}']);
    expect(steps.b!.env).toEqual({ LEVEL: 'full-false', N: '3' });
  });

  it('resolves inputs', () => {
    expect(steps.a!.inputs).toEqual({
      raw: { type: 'uri', uri: 's3://bucket/raw.csv' },
      pinned: { type: 'uri', uri: 'models:/churn/3' },
    });
    expect(steps.d!.inputs).toEqual({
      left: { type: 'step', step: 'b', output: 'out' },
      right: { type: 'step', step: 'c', output: 'out' },
    });
  });

  it('applies defaults', () => {
    expect(steps.a).toMatchObject({
      kind: 'container',
      command: [],
      args: [],
      env: {},
      resources: {},
      timeoutMs: 3_600_000,
      cache: false,
      executor: 'docker',
      retry: { maximumAttempts: 1, initialIntervalMs: 1000, backoffCoefficient: 2, maximumIntervalMs: 100_000 },
    });
    expect(steps.a!.when).toBeUndefined();
    expect(steps.c).toMatchObject({ cache: true, executor: 'process' });
  });

  it('converts explicit units', () => {
    expect(steps.b).toMatchObject({
      timeoutMs: 90_000,
      resources: { cpu: 1.5, memoryMb: 954, gpus: 1 },
      retry: { maximumAttempts: 3, initialIntervalMs: 2000, backoffCoefficient: 3, maximumIntervalMs: 60_000 },
    });
  });

  it('carries when as data that evaluates', () => {
    expect(steps.d!.whenSource).toBe('steps.b.metrics.score >= 0.5 && params.deploy == false');
    const ctx = (score: number) => ({ params: plan.params, steps: { b: { status: 'succeeded', metrics: { score } } } });
    expect(evalWhen(steps.d!.when!, ctx(0.7))).toBe(true);
    expect(evalWhen(steps.d!.when!, ctx(0.2))).toBe(false);
  });

  it('is JSON-serialisable', () => {
    expect(JSON.parse(JSON.stringify(plan))).toEqual(plan);
  });

  it('uses settings.cache (default true) and lets opts.cache = false override everything', () => {
    const cached = compile(DIAMOND.replace('cache: false', 'parallelism: 2'));
    expect(cached.steps.map((s) => s.cache)).toEqual([true, true, true, true, true]);
    expect(cached.parallelism).toBe(2);
    expect(compile(DIAMOND, {}, false).steps.every((s) => !s.cache)).toBe(true);
  });
});

describe('examples/pipelines/train-sklearn.yaml', () => {
  const yaml = readFileSync(new URL('../../examples/pipelines/train-sklearn.yaml', import.meta.url), 'utf8');

  it('parses and compiles', () => {
    const plan = compile(yaml, { C: '0.5' });
    expect(plan.params).toEqual({ C: 0.5, max_iter: 200 });
    expect(plan.steps.map((s) => [s.id, s.dependsOn])).toEqual([
      ['ingest', []],
      ['train', ['ingest']],
      ['evaluate', ['ingest', 'train']],
      ['report', ['evaluate']],
    ]);
    const { train, evaluate } = byId(plan.steps);
    expect(train).toMatchObject({
      image: 'sluice/sklearn:1',
      command: ['python3', 'train.py'],
      inputs: { dataset: { type: 'step', step: 'ingest', output: 'dataset.csv' } },
      outputs: ['model.pkl', 'metrics.json'],
    });
    expect(train!.retry.maximumAttempts).toBe(2);
    expect(evaluate!.inputs.model).toEqual({ type: 'step', step: 'train', output: 'model.pkl' });
    expect(plan).toMatchObject({ parallelism: 2, onFailure: 'cancel' });
  });
});
