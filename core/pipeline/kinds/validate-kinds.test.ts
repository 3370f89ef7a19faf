import { describe, expect, it } from 'vitest';
import { compilePlan } from '../plan.js';
import { parsePipelineSpec } from '../validate.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid promotion path of the built-in kinds; each case below breaks it in one way. */
function base(): Doc {
  return {
    apiVersion: 'sluice/v1',
    name: 'kinds',
    steps: [
      { id: 'train', image: 'img:1', outputs: ['model.pkl', 'test.csv', 'metrics.json'] },
      {
        id: 'gate',
        kind: 'gate',
        metricsFrom: 'train',
        checks: [{ metric: 'accuracy', direction: 'higher', threshold: 0.8, minGain: 0, minRelativeGain: 0.01 }],
      },
      {
        id: 'register',
        kind: 'register',
        model: 'wine',
        artifact: 'steps.train.outputs.model.pkl',
        metricsFrom: ['train'],
        alias: 'challenger',
      },
      { id: 'promote', kind: 'promote', from: 'register', dependsOn: ['gate'] },
    ],
  };
}

const at = (d: Doc, id: string): Doc => d.steps.find((s: Doc) => s.id === id);

const cases: [string, (d: Doc) => void, string, string][] = [
  ['gate: no checks', (d) => (at(d, 'gate').checks = []), '$.steps[1].checks', 'at least one check'],
  [
    'gate: check without a bound',
    (d) => (at(d, 'gate').checks = [{ metric: 'a' }]),
    '$.steps[1].checks[0]',
    'at least one of',
  ],
  ['gate: empty metric', (d) => (at(d, 'gate').checks[0].metric = ''), '$.steps[1].checks[0].metric', ''],
  [
    'gate: bad direction',
    (d) => (at(d, 'gate').checks[0].direction = 'up'),
    '$.steps[1].checks[0].direction',
    'higher',
  ],
  [
    'gate: threshold not a number',
    (d) => (at(d, 'gate').checks[0].threshold = 'x'),
    '$.steps[1].checks[0].threshold',
    'number',
  ],
  [
    'gate: minGain not a number',
    (d) => (at(d, 'gate').checks[0].minGain = 'x'),
    '$.steps[1].checks[0].minGain',
    'number',
  ],
  [
    'gate: minRelativeGain not a number',
    (d) => (at(d, 'gate').checks[0].minRelativeGain = true),
    '$.steps[1].checks[0].minRelativeGain',
    'number',
  ],
  ['gate: unknown check field', (d) => (at(d, 'gate').checks[0].min = 1), '$.steps[1].checks[0].min', 'unknown field'],
  ['gate: missing metricsFrom', (d) => delete at(d, 'gate').metricsFrom, '$.steps[1].metricsFrom', ''],
  [
    'gate: unknown metricsFrom',
    (d) => (at(d, 'gate').metricsFrom = 'nope'),
    '$.steps[1].metricsFrom',
    "unknown step 'nope'",
  ],
  ['gate: metricsFrom itself', (d) => (at(d, 'gate').metricsFrom = 'gate'), '$.steps[1].metricsFrom', 'itself'],
  ['register: bad model name', (d) => (at(d, 'register').model = 'Wine!'), '$.steps[2].model', 'must be'],
  ['register: missing artifact', (d) => delete at(d, 'register').artifact, '$.steps[2].artifact', ''],
  [
    'register: malformed artifact',
    (d) => (at(d, 'register').artifact = 'train.model'),
    '$.steps[2].artifact',
    'invalid input source',
  ],
  [
    'register: unknown artifact output',
    (d) => (at(d, 'register').artifact = 'steps.train.outputs.weights'),
    '$.steps[2].artifact',
    "step 'train' has no output 'weights'",
  ],
  [
    'register: unknown metricsFrom',
    (d) => (at(d, 'register').metricsFrom = ['train', 'zz']),
    '$.steps[2].metricsFrom[1]',
    "unknown step 'zz'",
  ],
  ['register: reserved alias', (d) => (at(d, 'register').alias = 'latest'), '$.steps[2].alias', 'newest'],
  ['register: bad alias', (d) => (at(d, 'register').alias = 'Champ ion'), '$.steps[2].alias', 'must be'],
  ['promote: missing from', (d) => delete at(d, 'promote').from, '$.steps[3].from', ''],
  ['promote: from an unknown step', (d) => (at(d, 'promote').from = 'zz'), '$.steps[3].from', "unknown step 'zz'"],
  [
    'promote: from a step that is not a register step',
    (d) => (at(d, 'promote').from = 'gate'),
    '$.steps[3].from',
    'expected register',
  ],
  ['promote: bad alias', (d) => (at(d, 'promote').alias = 'latest'), '$.steps[3].alias', 'newest'],
];

describe('built-in kinds: invalid specs name the field', () => {
  it('accepts the base spec', () => expect(parsePipelineSpec(base())).toMatchObject({ ok: true }));

  it.each(cases)('%s', (_name, mutate, path, message) => {
    const doc = base();
    mutate(doc);
    const result = parsePipelineSpec(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors.map((e) => e.path)).toContain(path);
    expect(result.errors.find((e) => e.path === path)!.message).toContain(message);
  });
});

describe('built-in kinds: compiled plan', () => {
  const parsed = parsePipelineSpec(base());
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const plan = compilePlan(parsed.spec, {}, { version: 1 });
  const byId = Object.fromEntries(plan.steps.map((s) => [s.id, s]));

  it('register resolves its artifact as an input, promote defaults to champion and follows its register step', () => {
    expect(byId.register).toMatchObject({
      kind: 'register',
      model: 'wine',
      inputs: { artifact: { type: 'step', step: 'train', output: 'model.pkl' } },
      dependsOn: ['train'],
    });
    expect(byId.promote).toMatchObject({
      kind: 'promote',
      from: 'register',
      alias: 'champion',
      dependsOn: ['gate', 'register'],
    });
  });

  it('a gate depends on the step whose metrics it reads, with its checks defaulted', () => {
    expect(byId.gate).toMatchObject({ kind: 'gate', metricsFrom: 'train', dependsOn: ['train'] });
    const parsedLower = parsePipelineSpec({
      ...base(),
      steps: [base().steps[0], { ...base().steps[1], checks: [{ metric: 'loss', threshold: 1 }] }],
    });
    expect(parsedLower.ok && parsedLower.spec.steps[1]).toMatchObject({
      checks: [{ metric: 'loss', direction: 'higher' }],
    });
  });
});
