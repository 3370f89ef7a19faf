import { describe, expect, it } from 'vitest';
import { resolveParams } from './params.js';
import { parsePipelineSpec } from './validate.js';
import type { PipelineSpec } from './schema.js';

function spec(): PipelineSpec {
  const result = parsePipelineSpec({
    apiVersion: 'sluice/v1',
    name: 'p',
    params: {
      C: { type: 'number', default: 1, min: 0.0001, max: 100 },
      max_iter: { type: 'integer', default: 200, min: 1 },
      mode: { type: 'enum', values: ['fast', 'full'], default: 'fast' },
      deploy: { type: 'boolean', default: false },
      dataset_uri: { type: 'string' },
      tag: { type: 'string', default: 'v1' },
    },
    steps: [{ id: 'a', image: 'i', inputs: { data: 'params.dataset_uri' } }],
  });
  if (!result.ok) throw new Error(JSON.stringify(result.errors));
  return result.spec;
}

describe('resolveParams', () => {
  it('applies defaults', () => {
    expect(resolveParams(spec(), { dataset_uri: 's3://b/k.csv' })).toEqual({
      ok: true,
      params: { C: 1, max_iter: 200, mode: 'fast', deploy: false, dataset_uri: 's3://b/k.csv', tag: 'v1' },
    });
  });

  it('coerces CLI strings', () => {
    const result = resolveParams(spec(), {
      C: '0.5',
      max_iter: '300',
      deploy: 'true',
      mode: 'full',
      dataset_uri: 'file:///d.csv',
      tag: '42',
    });
    expect(result).toEqual({
      ok: true,
      params: { C: 0.5, max_iter: 300, deploy: true, mode: 'full', dataset_uri: 'file:///d.csv', tag: '42' },
    });
  });

  it('accepts typed values as they are', () => {
    const result = resolveParams(spec(), { C: 2, max_iter: 10, deploy: false, dataset_uri: 'models:/churn@champion' });
    expect(result).toMatchObject({ ok: true, params: { C: 2, max_iter: 10, deploy: false } });
  });

  it.each([
    [{ gamma: '1' }, '$.params.gamma', 'unknown param; known: C, max_iter, mode, deploy, dataset_uri, tag'],
    [{ dataset_uri: undefined }, '$.params.dataset_uri', 'missing required param (string)'],
    [{ C: '0' }, '$.params.C', 'must be >= 0.0001, got 0'],
    [{ C: 101 }, '$.params.C', 'must be <= 100, got 101'],
    [{ C: 'abc' }, '$.params.C', 'expected a number, got "abc"'],
    [{ C: '' }, '$.params.C', 'expected a number'],
    [{ max_iter: '2.5' }, '$.params.max_iter', 'expected an integer, got 2.5'],
    [{ max_iter: 0 }, '$.params.max_iter', 'must be >= 1'],
    [{ deploy: 'yes' }, '$.params.deploy', 'expected true or false, got "yes"'],
    [{ mode: 'slow' }, '$.params.mode', 'must be one of: fast, full; got "slow"'],
    [{ tag: 3 }, '$.params.tag', 'expected a string'],
    [{ dataset_uri: 'data.csv' }, '$.params.dataset_uri', "used as input 'data' of step 'a' and must be a URI"],
  ])('rejects %j', (given, path, message) => {
    const result = resolveParams(spec(), { dataset_uri: 's3://b/k', ...given });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.path).toBe(path);
    expect(result.errors[0]!.message).toContain(message);
  });

  it('reports every problem at once', () => {
    const result = resolveParams(spec(), { C: 'x', mode: 'slow', extra: 1 });
    expect(result.ok ? [] : result.errors.map((e) => e.path)).toEqual([
      '$.params.extra',
      '$.params.C',
      '$.params.mode',
      '$.params.dataset_uri',
    ]);
  });

  it('does not treat prototype names as known params', () => {
    const result = resolveParams(spec(), { dataset_uri: 's3://b/k', toString: 'x' });
    expect(result).toMatchObject({ ok: false, errors: [{ path: '$.params.toString' }] });
  });
});
