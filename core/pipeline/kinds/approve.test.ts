import { describe, expect, it } from 'vitest';
import { compilePlan } from '../plan.js';
import { resolveParams } from '../params.js';
import { parsePipelineSpec } from '../validate.js';
import type { ApprovePlanStep } from './approve.js';

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any

function base(): Doc {
  return {
    apiVersion: 'sluice/v1',
    name: 'approval',
    steps: [
      { id: 'train', image: 'img:1', outputs: ['model'] },
      {
        id: 'approve',
        kind: 'approve',
        dependsOn: ['train'],
        message: 'Promote?',
        timeout: '24h',
        onTimeout: 'approve',
        distinctApprover: true,
      },
      { id: 'promote', image: 'img:1', dependsOn: ['approve'] },
    ],
  };
}

const cases: [string, (d: Doc) => void, string, string][] = [
  ['unknown field', (d) => (d.steps[1].image = 'img:1'), '$.steps[1].image', "unknown field 'image'"],
  ['outputs', (d) => (d.steps[1].outputs = ['x']), '$.steps[1].outputs', 'an approve step produces no outputs'],
  ['empty message', (d) => (d.steps[1].message = ''), '$.steps[1].message', '>=1'],
  ['message not a string', (d) => (d.steps[1].message = 3), '$.steps[1].message', 'string'],
  ['bad onTimeout', (d) => (d.steps[1].onTimeout = 'retry'), '$.steps[1].onTimeout', '"reject"|"approve"'],
  ['bad distinctApprover', (d) => (d.steps[1].distinctApprover = 'yes'), '$.steps[1].distinctApprover', 'boolean'],
  ['bad timeout', (d) => (d.steps[1].timeout = 'soon'), '$.steps[1].timeout', 'invalid duration'],
  ['unknown dependency', (d) => (d.steps[1].dependsOn = ['ghost']), '$.steps[1].dependsOn[0]', "unknown step 'ghost'"],
];

describe('approve step spec', () => {
  it('accepts the base spec', () => expect(parsePipelineSpec(base())).toMatchObject({ ok: true }));

  it.each(cases)('rejects: %s', (_name, mutate, path, message) => {
    const doc = base();
    mutate(doc);
    const result = parsePipelineSpec(doc);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]!.path).toBe(path);
    expect(result.errors[0]!.message).toContain(message);
  });
});

describe('approve step plan', () => {
  const compile = (doc: Doc): ApprovePlanStep => {
    const parsed = parsePipelineSpec(doc);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    const params = resolveParams(parsed.spec, {});
    if (!params.ok) throw new Error(JSON.stringify(params.errors));
    return compilePlan(parsed.spec, params.params, { version: 1 }).steps.find(
      (s) => s.id === 'approve',
    ) as ApprovePlanStep;
  };

  it('compiles the fields as written', () => {
    expect(compile(base())).toMatchObject({
      kind: 'approve',
      message: 'Promote?',
      timeoutMs: 24 * 3_600_000,
      onTimeout: 'approve',
      distinctApprover: true,
      dependsOn: ['train'],
    });
  });

  it('defaults to a 7 day timeout that rejects, any approver', () => {
    const doc = base();
    doc.steps[1] = { id: 'approve', kind: 'approve', dependsOn: ['train'] };
    const step = compile(doc);
    expect(step).toMatchObject({ timeoutMs: 7 * 86_400_000, onTimeout: 'reject', distinctApprover: false });
    expect(step.message).toBeUndefined();
  });
});
