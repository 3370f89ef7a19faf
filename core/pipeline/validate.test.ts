import { describe, expect, it } from 'vitest';
import { parsePipelineSpec } from './validate.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

/** A valid three-step spec; each case below breaks it in one way. */
function base(): Doc {
  return {
    apiVersion: 'sluice/v1',
    name: 'demo',
    params: {
      C: { type: 'number', default: 1, min: 0.001, max: 10 },
      mode: { type: 'enum', values: ['fast', 'full'], default: 'fast' },
      data: { type: 'string', default: 's3://bucket/data.csv' },
    },
    steps: [
      { id: 'a', image: 'img:1', inputs: { raw: 'params.data' }, outputs: ['out.csv'] },
      {
        id: 'b',
        image: 'img:1',
        args: ['--c', '${params.C}'],
        inputs: { x: 'steps.a.outputs.out.csv' },
        outputs: ['model'],
      },
      { id: 'c', image: 'img:1', inputs: { m: 'steps.b.outputs.model' }, when: "params.mode == 'full'" },
    ],
  };
}

/** An ingest step (steps[3]) reading step a's output; each case breaks it in one way. */
function withIngest(mutate: (step: Doc) => void): (d: Doc) => void {
  return (d) => {
    const step: Doc = {
      id: 'load',
      kind: 'ingest',
      source: 'steps.a.outputs.out.csv',
      dataset: 'wine',
      schema: { columns: [{ name: 'alcohol', type: 'number', min: 0 }] },
    };
    mutate(step);
    d.steps.push(step);
  };
}

function ingestCases(): [string, (d: Doc) => void, string, string | RegExp][] {
  const at = '$.steps[3]';
  return [
    ['ingest: missing source', withIngest((s) => delete s.source), `${at}.source`, /expected string/i],
    ['ingest: bad source', withIngest((s) => (s.source = 'ftp://x/y')), `${at}.source`, 'invalid source "ftp://x/y"'],
    ['ingest: relative file', withIngest((s) => (s.source = 'file:data.csv')), `${at}.source`, 'invalid source'],
    ['ingest: dotdot file', withIngest((s) => (s.source = 'file:/a/../b')), `${at}.source`, "'..' is not allowed"],
    [
      'ingest: unknown source step',
      withIngest((s) => (s.source = 'steps.zz.outputs.x')),
      `${at}.source`,
      "unknown step 'zz'",
    ],
    [
      'ingest: undeclared source output',
      withIngest((s) => (s.source = 'steps.a.outputs.nope')),
      `${at}.source`,
      "step 'a' has no output 'nope'; declared: out.csv",
    ],
    [
      'ingest: own output',
      withIngest((s) => (s.source = 'steps.load.outputs.dataset')),
      `${at}.source`,
      'its own output',
    ],
    ['ingest: missing dataset', withIngest((s) => delete s.dataset), `${at}.dataset`, /expected string/i],
    ['ingest: bad dataset name', withIngest((s) => (s.dataset = 'Wine!')), `${at}.dataset`, 'must be 1-128 characters'],
    [
      'ingest: inputs',
      withIngest((s) => (s.inputs = { x: 'steps.a.outputs.out.csv' })),
      `${at}.inputs`,
      'from `source`',
    ],
    ['ingest: outputs', withIngest((s) => (s.outputs = ['x'])), `${at}.outputs`, "one output, 'dataset'"],
    ['ingest: image', withIngest((s) => (s.image = 'img:1')), `${at}.image`, "unknown field 'image'"],
    [
      'ingest: unknown schema field',
      withIngest((s) => (s.schema.strict = true)),
      `${at}.schema.strict`,
      'unknown field',
    ],
    ['ingest: no columns', withIngest((s) => (s.schema.columns = [])), `${at}.schema.columns`, 'at least one column'],
    [
      'ingest: column type',
      withIngest((s) => (s.schema.columns[0].type = 'float')),
      `${at}.schema.columns[0].type`,
      /integer.*number.*string.*boolean|expected one of/i,
    ],
    [
      'ingest: column name',
      withIngest((s) => (s.schema.columns[0].name = '')),
      `${at}.schema.columns[0].name`,
      /too small|>=1/i,
    ],
    [
      'ingest: nullable type',
      withIngest((s) => (s.schema.columns[0].nullable = 'no')),
      `${at}.schema.columns[0].nullable`,
      /expected boolean/i,
    ],
    [
      'ingest: min above max',
      withIngest((s) => (s.schema.columns[0].max = -1)),
      `${at}.schema.columns[0].min`,
      'min (0) is greater than max (-1)',
    ],
    [
      'ingest: min on a string',
      withIngest((s) => s.schema.columns.push({ name: 'kind', type: 'string', min: 1 })),
      `${at}.schema.columns[1].min`,
      'min applies to integer and number columns, not string',
    ],
    [
      'ingest: duplicate column',
      withIngest((s) => s.schema.columns.push({ name: 'alcohol', type: 'number' })),
      `${at}.schema.columns[1].name`,
      "duplicate column 'alcohol'",
    ],
    [
      'ingest: allowExtra type',
      withIngest((s) => (s.schema.allowExtra = 'yes')),
      `${at}.schema.allowExtra`,
      /expected boolean/i,
    ],
  ];
}

const cases: [string, (d: Doc) => void, string, string | RegExp][] = [
  ['unknown top-level field', (d) => (d.stepz = []), '$.stepz', "unknown field 'stepz'"],
  ['unknown step field', (d) => (d.steps[1].imagee = 'x'), '$.steps[1].imagee', "unknown field 'imagee'"],
  ['unknown param field', (d) => (d.params.C.maximum = 3), '$.params.C.maximum', 'unknown field'],
  [
    'wrong apiVersion',
    (d) => (d.apiVersion = 'sluice/v2'),
    '$.apiVersion',
    'unsupported apiVersion "sluice/v2"; expected \'sluice/v1\'',
  ],
  ['missing apiVersion', (d) => delete d.apiVersion, '$.apiVersion', 'apiVersion is required'],
  ['bad pipeline name', (d) => (d.name = 'Demo'), '$.name', 'must be 1..63 chars'],
  ['unknown step kind', (d) => (d.steps[0].kind = 'lambda'), '$.steps[0].kind', "Expected 'container'"],
  ['duplicate step id', (d) => (d.steps[2].id = 'a'), '$.steps[2].id', "duplicate step id 'a'"],
  [
    'unknown step in input',
    (d) => (d.steps[1].inputs.x = 'steps.zz.outputs.out.csv'),
    '$.steps[1].inputs.x',
    "unknown step 'zz'",
  ],
  [
    'unknown output in input',
    (d) => (d.steps[2].inputs.m = 'steps.b.outputs.weights'),
    '$.steps[2].inputs.m',
    "step 'b' has no output 'weights'; declared: model",
  ],
  [
    'malformed input source',
    (d) => (d.steps[2].inputs.m = 'https://x/y'),
    '$.steps[2].inputs.m',
    'invalid input source',
  ],
  [
    'own output as input',
    (d) => (d.steps[1].inputs.x = 'steps.b.outputs.model'),
    '$.steps[1].inputs.x',
    'cannot consume its own output',
  ],
  [
    'unknown param in template',
    (d) => (d.steps[1].args[1] = '${params.gamma}'),
    '$.steps[1].args[1]',
    "unknown param 'gamma' in template; known: C, mode, data",
  ],
  [
    'unknown param in env',
    (d) => (d.steps[1].env = { LEVEL: 'x${params.lvl}' }),
    '$.steps[1].env.LEVEL',
    "unknown param 'lvl'",
  ],
  [
    'unknown param in input',
    (d) => (d.steps[0].inputs.raw = 'params.dataset'),
    '$.steps[0].inputs.raw',
    "unknown param 'dataset' in input",
  ],
  [
    'non-string param as input',
    (d) => (d.steps[0].inputs.raw = 'params.C'),
    '$.steps[0].inputs.raw',
    'must be a string holding a URI',
  ],
  [
    'non-URI default of an input param',
    (d) => (d.params.data.default = 'data.csv'),
    '$.params.data.default',
    'must be a URI',
  ],
  [
    'unknown param in when',
    (d) => (d.steps[2].when = 'params.deploy'),
    '$.steps[2].when',
    "unknown param 'deploy' in when",
  ],
  ['unknown step in when', (d) => (d.steps[2].when = "steps.q.status == 'x'"), '$.steps[2].when', "unknown step 'q'"],
  [
    'when on its own step',
    (d) => (d.steps[2].when = 'steps.c.metrics.x > 1'),
    '$.steps[2].when',
    'cannot refer to its own step',
  ],
  [
    'bad when syntax',
    (d) => (d.steps[2].when = 'params.mode = 1'),
    '$.steps[2].when',
    "invalid expression: unexpected '=' (did you mean '=='?) at position 12",
  ],
  [
    'unknown dependsOn',
    (d) => (d.steps[2].dependsOn = ['a', 'nope']),
    '$.steps[2].dependsOn[1]',
    "unknown step 'nope'",
  ],
  [
    'self-dependency',
    (d) => (d.steps[1].dependsOn = ['b']),
    '$.steps[1].dependsOn[0]',
    "step 'b' cannot depend on itself",
  ],
  ['3-step cycle', (d) => (d.steps[0].dependsOn = ['c']), '$.steps', 'cycle: a -> b -> c -> a'],
  ['bad duration', (d) => (d.steps[0].timeout = '10 minutes'), '$.steps[0].timeout', 'invalid duration "10 minutes"'],
  [
    'bad backoff',
    (d) => (d.steps[0].retries = { attempts: 2, backoff: true }),
    '$.steps[0].retries.backoff',
    'expected a duration',
  ],
  [
    'bad memory',
    (d) => (d.steps[0].resources = { memory: '2GB' }),
    '$.steps[0].resources.memory',
    'invalid memory "2GB"',
  ],
  ['default above max', (d) => (d.params.C.default = 11), '$.params.C.default', 'default must be <= 10'],
  [
    'non-integer default',
    (d) => (d.params.n = { type: 'integer', default: 1.5 }),
    '$.params.n.default',
    'expected an integer',
  ],
  [
    'min above max',
    (d) => (d.params.C = { type: 'number', min: 5, max: 1 }),
    '$.params.C',
    'min (5) is greater than max (1)',
  ],
  [
    'enum default not in values',
    (d) => (d.params.mode.default = 'slow'),
    '$.params.mode.default',
    'must be one of: fast, full',
  ],
  ['wrong default type', (d) => (d.params.C.default = 'one'), '$.params.C.default', 'expected number'],
  ['bad param name', (d) => (d.params['bad-name'] = { type: 'string' }), '$.params.bad-name', 'param names must match'],
  ['bad step id', (d) => (d.steps[0].id = 'Ingest'), '$.steps[0].id', 'must match'],
  ['bad output name', (d) => (d.steps[0].outputs = ['out.csv', '..']), '$.steps[0].outputs[1]', "not be '.' or '..'"],
  ['output with a slash', (d) => (d.steps[0].outputs = ['a/b']), '$.steps[0].outputs[0]', 'must match'],
  [
    'duplicate output',
    (d) => (d.steps[0].outputs = ['out.csv', 'out.csv']),
    '$.steps[0].outputs[1]',
    "duplicate output 'out.csv'",
  ],
  [
    'bad input name',
    (d) => (d.steps[1].inputs = { '../x': 'steps.a.outputs.out.csv' }),
    '$.steps[1].inputs["../x"]',
    'invalid key',
  ],
  ['parallelism out of range', (d) => (d.settings = { parallelism: 100 }), '$.settings.parallelism', '64'],
  ['reserved env name', (d) => (d.steps[0].env = { SLUICE_PARAMS: '{}' }), '$.steps[0].env.SLUICE_PARAMS', 'reserved'],
  ['bad executor', (d) => (d.steps[0].executor = 'lambda'), '$.steps[0].executor', 'docker'],
  ['no steps', (d) => (d.steps = []), '$.steps', 'at least one step'],
  ...ingestCases(),
];

describe('parsePipelineSpec: invalid specs', () => {
  it('accepts the base spec', () => expect(parsePipelineSpec(base())).toMatchObject({ ok: true }));

  it.each(cases)('%s', (_name, mutate, path, message) => {
    const doc = base();
    mutate(doc);
    const result = parsePipelineSpec(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.path).toBe(path);
    if (typeof message === 'string') expect(result.errors[0]!.message).toContain(message);
    else expect(result.errors[0]!.message).toMatch(message);
  });

  it('collects every error instead of stopping at the first', () => {
    const doc = base();
    doc.steps[0].dependsOn = ['ghost'];
    doc.steps[1].args = ['${params.nope}'];
    doc.steps[2].when = '(';
    const result = parsePipelineSpec(doc);
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual([
      '$.steps[0].dependsOn[0]',
      '$.steps[1].args[0]',
      '$.steps[2].when',
    ]);
  });

  it('reports a cycle once, however many steps are on it', () => {
    const doc = base();
    doc.steps[0].inputs = { back: 'steps.c.outputs.report' };
    doc.steps[2].outputs = ['report'];
    const result = parsePipelineSpec(doc);
    expect(result).toEqual({ ok: false, errors: [{ path: '$.steps', message: 'cycle: a -> b -> c -> a' }] });
  });

  it('finds a cycle created by a when reference', () => {
    const doc = base();
    doc.steps[0].when = "steps.c.status == 'succeeded'";
    const result = parsePipelineSpec(doc);
    expect(result).toEqual({ ok: false, errors: [{ path: '$.steps', message: 'cycle: a -> b -> c -> a' }] });
  });

  it('reports YAML syntax errors with line and column at $', () => {
    const result = parsePipelineSpec('apiVersion: sluice/v1\nname: x\nsteps:\n  - id: a\n    image: [unclosed\n');
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors[0]!.path).toBe('$');
    expect(result.errors[0]!.message).toMatch(/invalid YAML: line \d+, column \d+/);
  });

  it('rejects duplicate YAML keys and non-mapping documents', () => {
    const dup = parsePipelineSpec('apiVersion: sluice/v1\nname: x\nname: y\nsteps: []\n');
    expect(dup.ok).toBe(false);
    expect(parsePipelineSpec('- a\n- b\n')).toEqual({
      ok: false,
      errors: [{ path: '$', message: 'a pipeline spec must be a mapping (object)' }],
    });
    expect(parsePipelineSpec(42)).toMatchObject({ ok: false });
  });

  it('accepts JSON text', () => {
    expect(parsePipelineSpec(JSON.stringify(base()))).toMatchObject({ ok: true, spec: { name: 'demo' } });
  });
});
