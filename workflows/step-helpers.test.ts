import { describe, expect, it } from 'vitest';
import type { Plan } from '../core/pipeline/plan.js';
import type { StepProgress, StepResult } from '../core/runs/contract.js';
import type { StepStatus } from '../core/runs/status.js';
import { planFrom } from '../test/support/workflow-runs.js';
import { pickSteps, type StepDecision } from './step-helpers.js';

const step = (id: string, extra = '') => `
  - id: ${id}
    image: img${extra}`;

function pipeline(steps: string, opts: { parallelism?: number; params?: string } = {}): Plan {
  return planFrom(`
apiVersion: sluice/v1
name: picks
${opts.params ? `params:\n  ${opts.params}` : ''}
settings: { parallelism: ${opts.parallelism ?? 4} }
steps:${steps}
`);
}

function progress(plan: Plan, given: Record<string, Partial<StepProgress> & { state?: StepStatus }> = {}) {
  return new Map<string, StepProgress>(
    plan.steps.map((s) => [
      s.id,
      {
        id: s.id,
        state: 'pending',
        attempt: 0,
        outputs: {},
        metrics: {},
        cacheHit: false,
        ...given[s.id],
      },
    ]),
  );
}

const summary = (ds: StepDecision[]) => ds.map((d) => `${d.action}:${d.step.id}`);

describe('pickSteps', () => {
  it('starts the ready steps in plan order up to the parallelism, counting those already running', () => {
    const plan = pipeline(step('a') + step('b') + step('c') + step('d') + step('e'));
    expect(summary(pickSteps(plan, progress(plan), 0, undefined))).toEqual([
      'start:a',
      'start:b',
      'start:c',
      'start:d',
    ]);
    expect(summary(pickSteps(plan, progress(plan, { a: { state: 'running' } }), 3, undefined))).toEqual(['start:b']);
    expect(pickSteps(plan, progress(plan), 4, undefined)).toEqual([]);
  });

  it('waits until every dependency is settled (succeeded, cached or skipped)', () => {
    const plan = pipeline(step('a') + step('b') + step('c', '\n    dependsOn: [a, b]'));
    expect(
      summary(pickSteps(plan, progress(plan, { a: { state: 'succeeded' }, b: { state: 'running' } }), 1, undefined)),
    ).toEqual([]);
    expect(
      summary(pickSteps(plan, progress(plan, { a: { state: 'cached' }, b: { state: 'skipped' } }), 0, undefined)),
    ).toEqual(['skip:c']);
    expect(
      summary(pickSteps(plan, progress(plan, { a: { state: 'failed' }, b: { state: 'succeeded' } }), 0, undefined)),
    ).toEqual([]);
  });

  it('skips a step whose `when` is false and, in the same pass, everything downstream of it', () => {
    const plan = pipeline(
      step('gate', '\n    when: params.deploy') +
        step('after', '\n    dependsOn: [gate]') +
        step('last', '\n    dependsOn: [after]'),
      { params: 'deploy: { type: boolean, default: false }' },
    );
    const picked = pickSteps(plan, progress(plan), 0, undefined);
    expect(summary(picked)).toEqual(['skip:gate', 'skip:after', 'skip:last']);
    // Every skip says why, and the reason travels downstream.
    expect(picked.map((d) => (d.action === 'skip' ? d.reason : undefined))).toEqual([
      'when: params.deploy is false',
      'when: params.deploy is false',
      'when: params.deploy is false',
    ]);
  });

  it("skips everything downstream of a step that halted the run's path, with the halt's reason", () => {
    const plan = pipeline(step('gate') + step('register', '\n    dependsOn: [gate]') + step('report'));
    const halted = progress(plan, { gate: { state: 'succeeded', haltReason: 'accuracy 0.7 < 0.9' } });
    const picked = pickSteps(plan, halted, 0, undefined);
    expect(summary(picked)).toEqual(['skip:register', 'start:report']);
    expect(picked[0]).toMatchObject({ action: 'skip', reason: 'step gate: accuracy 0.7 < 0.9' });
  });

  it('evaluates `when` against upstream metrics and statuses', () => {
    const plan = pipeline(
      step('train') +
        step('deploy', '\n    when: "steps.train.metrics.accuracy >= 0.9"') +
        step('report', '\n    when: "steps.train.status == \'succeeded\'"'),
    );
    const trained = (accuracy: number) => progress(plan, { train: { state: 'succeeded', metrics: { accuracy } } });
    expect(summary(pickSteps(plan, trained(0.95), 0, undefined))).toEqual(['start:deploy', 'start:report']);
    expect(summary(pickSteps(plan, trained(0.5), 0, undefined))).toEqual(['skip:deploy', 'start:report']);
  });

  it("reuses a retried run's results, which settle their dependants in the same pass", () => {
    const plan = pipeline(step('train') + step('deploy', '\n    when: "steps.train.metrics.accuracy >= 0.9"'));
    const result: StepResult = {
      status: 'succeeded',
      outputs: {},
      metrics: { accuracy: 0.95 },
      attempt: 1,
      durationMs: 5,
    };
    const picked = pickSteps(plan, progress(plan), 0, { train: result });
    expect(summary(picked)).toEqual(['reuse:train', 'start:deploy']);
    expect(picked[0]).toMatchObject({ action: 'reuse', result });
  });

  it('lets a skip through only while a slot is free, as the loop always did', () => {
    const plan = pipeline(step('a') + step('b', '\n    when: params.go'), {
      parallelism: 1,
      params: 'go: { type: boolean, default: false }',
    });
    expect(summary(pickSteps(plan, progress(plan), 0, undefined))).toEqual(['start:a']);
    expect(summary(pickSteps(plan, progress(plan, { a: { state: 'running' } }), 1, undefined))).toEqual([]);
  });

  it("leaves the workflow's own state untouched", () => {
    const plan = pipeline(step('a') + step('b', '\n    dependsOn: [a]'));
    const steps = progress(plan);
    pickSteps(plan, steps, 0, { a: { status: 'succeeded', outputs: {}, metrics: {}, attempt: 1, durationMs: 0 } });
    expect([...steps.values()].map((s) => s.state)).toEqual(['pending', 'pending']);
  });
});
