import { describe, expect, it } from 'vitest';
import { compilePlan } from '../plan.js';
import { parsePipelineSpec } from '../validate.js';
import type { EvaluatePlanStep } from './evaluate.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** split → train → evaluate (with a baseline) → gate on it; each case below breaks it in one way. */
function base(): Doc {
  return {
    apiVersion: 'sluice/v1',
    name: 'evaluated',
    code: `sha256:${'a'.repeat(64)}`,
    steps: [
      { id: 'split', image: 'img:1', outputs: ['train.csv', 'test.csv'] },
      { id: 'train', image: 'img:1', inputs: { data: 'steps.split.outputs.train.csv' }, outputs: ['model.pkl'] },
      {
        id: 'evaluate',
        kind: 'evaluate',
        image: 'sluice/sklearn:1',
        python: { requirements: 'requirements.txt' },
        command: ['python3', 'evaluate.py'],
        model: 'steps.train.outputs.model.pkl',
        data: 'steps.split.outputs.test.csv',
        baseline: 'models:/wine@champion',
        env: { MODE: 'full' },
        resources: { cpu: 1, memory: '512Mi' },
        timeout: '10m',
        retries: { attempts: 2 },
        network: 'none',
        executor: 'process',
      },
      { id: 'gate', kind: 'gate', metricsFrom: 'evaluate', checks: [{ metric: 'accuracy', minGain: 0 }] },
    ],
  };
}

const ev = (d: Doc): Doc => d.steps[2];

const cases: [string, (d: Doc) => void, string, string][] = [
  ['missing model', (d) => delete ev(d).model, '$.steps[2].model', ''],
  ['missing data', (d) => delete ev(d).data, '$.steps[2].data', ''],
  ['missing image', (d) => delete ev(d).image, '$.steps[2].image', ''],
  ['malformed model ref', (d) => (ev(d).model = 'train.model'), '$.steps[2].model', 'invalid input source'],
  ['model as a param', (d) => (ev(d).model = 'params.m'), '$.steps[2].model', 'not a param'],
  ['malformed data ref', (d) => (ev(d).data = 'steps.split.test.csv'), '$.steps[2].data', 'invalid step output'],
  ['model from an unknown step', (d) => (ev(d).model = 'steps.zz.outputs.m'), '$.steps[2].model', "unknown step 'zz'"],
  [
    'data names an undeclared output',
    (d) => (ev(d).data = 'steps.split.outputs.valid.csv'),
    '$.steps[2].data',
    "step 'split' has no output 'valid.csv'",
  ],
  ['model from itself', (d) => (ev(d).model = 'steps.evaluate.outputs.metrics.json'), '$.steps[2].model', 'itself'],
  ['baseline not a model URI', (d) => (ev(d).baseline = 'wine@champion'), '$.steps[2].baseline', 'model URI'],
  ['baseline a dataset URI', (d) => (ev(d).baseline = 'datasets:/wine/1'), '$.steps[2].baseline', 'model URI'],
  ['unknown field', (d) => (ev(d).candidate = 'x'), '$.steps[2].candidate', 'unknown field'],
  ['bad container field', (d) => (ev(d).network = 'bridge'), '$.steps[2].network', ''],
  [
    'reserved input name',
    (d) => (ev(d).inputs = { model: 'steps.train.outputs.model.pkl' }),
    '$.steps[2].inputs.model',
    "evaluate step's own",
  ],
  ['python without code', (d) => delete d.code, '$.steps[2].python', 'no code'],
  [
    'gate on a missing metric source',
    (d) => (d.steps[3].metricsFrom = 'split2'),
    '$.steps[3].metricsFrom',
    'unknown step',
  ],
];

describe('evaluate kind: invalid specs name the field', () => {
  it('accepts the base spec, and without a baseline', () => {
    expect(parsePipelineSpec(base())).toMatchObject({ ok: true });
    const d = base();
    delete ev(d).baseline;
    ev(d).model = 'models:/wine/3';
    expect(parsePipelineSpec(d)).toMatchObject({ ok: true });
  });

  it.each(cases)('%s', (_name, mutate, path, message) => {
    const doc = base();
    mutate(doc);
    const result = parsePipelineSpec(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toContain(path);
    expect(result.errors.find((e) => e.path === path)!.message).toContain(message);
  });

  it('its metrics.json is an output other steps may read', () => {
    const d = base();
    d.steps.push({ id: 'report', image: 'img:1', inputs: { m: 'steps.evaluate.outputs.metrics.json' } });
    expect(parsePipelineSpec(d)).toMatchObject({ ok: true });
  });
});

describe('evaluate kind: compiled plan', () => {
  it('runs as a container does, with model and data as its inputs and metrics.json as its output', () => {
    const parsed = parsePipelineSpec(base());
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const plan = compilePlan(parsed.spec, {}, { version: 1 });
    const step = plan.steps.find((s) => s.id === 'evaluate') as EvaluatePlanStep;
    expect(step).toMatchObject({
      kind: 'evaluate',
      image: 'sluice/sklearn:1',
      command: ['python3', 'evaluate.py'],
      args: [],
      env: { MODE: 'full' },
      resources: { cpu: 1, memoryMb: 512 },
      executor: 'process',
      network: 'none',
      python: { requirements: 'requirements.txt' },
      code: `sha256:${'a'.repeat(64)}`,
      timeoutMs: 600_000,
      retry: { maximumAttempts: 2 },
      inputs: {
        model: { type: 'step', step: 'train', output: 'model.pkl' },
        data: { type: 'step', step: 'split', output: 'test.csv' },
      },
      outputs: ['metrics.json'],
      baseline: 'models:/wine@champion',
      dependsOn: ['split', 'train'],
    });
    expect(plan.steps.map((s) => s.id)).toEqual(['split', 'train', 'evaluate', 'gate']);
  });
});
