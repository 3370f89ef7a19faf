import { describe, expect, it } from 'vitest';
import { stepDependencies } from '../dag.js';
import { resolveParams } from '../params.js';
import { compilePlan } from '../plan.js';
import { parsePipelineSpec } from '../validate.js';
import { parseIngestSource } from './ingest.js';

const SPEC = `
apiVersion: sluice/v1
name: ingest-plan
steps:
  - id: train
    image: img:1
    inputs: { data: steps.ingest.outputs.dataset }
  - id: ingest
    kind: ingest
    source: steps.export.outputs.wine.csv
    dataset: wine
    schema:
      columns:
        - { name: alcohol, type: number, nullable: false, min: 0 }
        - { name: target, type: integer, min: 0, max: 2 }
  - id: export
    image: img:1
    outputs: [wine.csv]
  - id: remote
    kind: ingest
    source: https://data.example/wine.csv
    dataset: wine-remote
    timeout: 5m
`;

function compile(yaml: string) {
  const parsed = parsePipelineSpec(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  const params = resolveParams(parsed.spec, {});
  if (!params.ok) throw new Error(JSON.stringify(params.errors));
  return compilePlan(parsed.spec, params.params, { version: 1 });
}

describe('the ingest kind', () => {
  it('parses every source form', () => {
    expect(parseIngestSource('steps.a.outputs.x.csv')).toEqual({ type: 'step', step: 'a', output: 'x.csv' });
    expect(parseIngestSource('file:/data/./in//w.csv')).toEqual({ type: 'file', path: '/data/in/w.csv' });
    expect(parseIngestSource('file:///data/w%20x.csv')).toEqual({ type: 'file', path: '/data/w x.csv' });
    expect(parseIngestSource('s3://bucket/raw/w.csv')).toEqual({ type: 's3', bucket: 'bucket', key: 'raw/w.csv' });
    expect(parseIngestSource('http://127.0.0.1:8080/w.csv')).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:8080/w.csv',
    });
    expect(parseIngestSource('file:/data/../etc/passwd')).toMatch(/'\.\.' is not allowed/);
    expect(parseIngestSource('https://u:p@host/x')).toMatch(/credentials/);
    expect(parseIngestSource('ftp://host/x')).toMatch(/invalid source/);
  });

  it('compiles a step-output source into inputs, so the producer runs first', () => {
    const plan = compile(SPEC);
    expect(plan.steps.map((s) => s.id)).toEqual(['export', 'ingest', 'train', 'remote']);
    const ingest = plan.steps.find((s) => s.id === 'ingest');
    expect(ingest).toMatchObject({
      kind: 'ingest',
      dataset: 'wine',
      sourceText: 'steps.export.outputs.wine.csv',
      source: { type: 'step', step: 'export', output: 'wine.csv' },
      inputs: { source: { type: 'step', step: 'export', output: 'wine.csv' } },
      outputs: ['dataset'],
      dependsOn: ['export'],
      schema: {
        allowExtra: true,
        columns: [
          { name: 'alcohol', type: 'number', nullable: false, min: 0 },
          { name: 'target', type: 'integer', nullable: true, min: 0, max: 2 },
        ],
      },
    });
    expect(plan.steps.find((s) => s.id === 'train')!.dependsOn).toEqual(['ingest']);
  });

  it('keeps an outside source out of inputs', () => {
    const remote = compile(SPEC).steps.find((s) => s.id === 'remote');
    expect(remote).toMatchObject({
      kind: 'ingest',
      inputs: {},
      source: { type: 'http', url: 'https://data.example/wine.csv' },
      timeoutMs: 300_000,
    });
    expect(JSON.parse(JSON.stringify(remote))).toEqual(remote);
  });

  it('counts a step-output source as a dependency of the spec graph', () => {
    const parsed = parsePipelineSpec(SPEC);
    if (!parsed.ok) throw new Error('invalid');
    expect(stepDependencies(parsed.spec.steps[1]!)).toEqual(['export']);
  });
});
