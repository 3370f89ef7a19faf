import { describe, expect, it } from 'vitest';
import { getRun, getRunSteps } from '../core/runs/projection.js';
import { listRuns } from '../core/runs/queries.js';
import { SluiceOutcomeKey } from '../core/temporal/search-attributes.js';
import { workflowIdFor } from '../core/runs/ids.js';
import { useHarness } from './support/harness.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

/** score (a process step writing metrics) → gate → deploy; `accuracy` comes from the param. */
const spec = (checks: string) => `
apiVersion: sluice/v1
name: gated
params:
  acc: { type: number, default: 0.9 }
steps:
  - id: score
    image: none
    command: [sh, -c, 'echo "{\\"accuracy\\": $ACC, \\"loss\\": 0.2}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    env: { ACC: "\${params.acc}" }
  - id: gate
    kind: gate
    metricsFrom: score
    checks: ${checks}
  - id: deploy
    image: none
    command: [sh, -c, 'true']
    dependsOn: [gate]
`;

describe('the gate kind on a real worker', () => {
  const h = useHarness({ worker: true });

  it('passes: the run goes on and gain checks without a baseline are skipped, and say so', async () => {
    const input = runInput(
      planFrom(
        spec(
          '[{ metric: accuracy, threshold: 0.85, minGain: 0, minRelativeGain: 0.01 }, { metric: loss, direction: lower, threshold: 0.3 }]',
        ),
        {
          acc: 0.9,
        },
      ),
    );
    const { status, error } = await runToEnd(h, input);
    expect(error).toBeUndefined();
    expect(status!.outcome).toBeUndefined();
    expect(status!.steps.map((s) => [s.id, s.state])).toEqual([
      ['score', 'succeeded'],
      ['gate', 'succeeded'],
      ['deploy', 'succeeded'],
    ]);
    const gate = (await getRunSteps(h.db, input.runId)).find((s) => s.step_id === 'gate')!;
    expect(gate.status).toBe('succeeded');
    expect(gate.details).toMatchObject({
      passed: true,
      baseline: null,
      checks: [
        {
          metric: 'accuracy',
          value: 0.9,
          baseline: null,
          verdict: 'passed',
          threshold: { bound: 0.85, verdict: 'passed' },
          minGain: { verdict: 'skipped', reason: 'no baseline' },
          minRelativeGain: { verdict: 'skipped', reason: 'no baseline' },
        },
        { metric: 'loss', direction: 'lower', value: 0.2, verdict: 'passed' },
      ],
    });
  });

  it('fails: the run succeeds with outcome not-promoted, the reason names the check, downstream skipped', async () => {
    const input = runInput(planFrom(spec('[{ metric: accuracy, threshold: 0.85 }]'), { acc: 0.71 }));
    const { status, error } = await runToEnd(h, input);
    expect(error).toBeUndefined();
    expect(status).toMatchObject({ state: 'succeeded', outcome: 'not-promoted' });
    expect(status!.outcomeReason).toContain('accuracy 0.71 < threshold 0.85');
    const deploy = status!.steps.find((s) => s.id === 'deploy')!;
    expect(deploy.state).toBe('skipped');
    expect(deploy.skipReason).toContain('accuracy 0.71 < threshold 0.85');

    const run = await getRun(h.db, input.runId);
    expect(run).toMatchObject({ status: 'succeeded', outcome: 'not-promoted' });
    const steps = Object.fromEntries((await getRunSteps(h.db, input.runId)).map((s) => [s.step_id, s]));
    expect(steps.gate!.details).toMatchObject({
      passed: false,
      checks: [{ metric: 'accuracy', value: 0.71, verdict: 'failed', threshold: { bound: 0.85, verdict: 'failed' } }],
    });
    expect(steps.deploy).toMatchObject({ status: 'skipped' });
    expect(steps.deploy!.skip_reason).toContain('accuracy 0.71 < threshold 0.85');

    // The outcome is filterable in the run list and in the Temporal UI.
    const listed = await listRuns(h.db, { outcome: 'not-promoted', pipeline: 'gated', limit: 50 });
    expect(listed.map((r) => r.id)).toContain(input.runId);
    expect(
      (await listRuns(h.db, { outcome: 'promoted', pipeline: 'gated', limit: 50 })).map((r) => r.id),
    ).not.toContain(input.runId);
    const described = await h.client.workflow.getHandle(workflowIdFor(input.runId)).describe();
    expect(described.typedSearchAttributes.get(SluiceOutcomeKey)).toBe('not-promoted');
  });

  it('a missing metric fails the step with the metric named', async () => {
    const input = runInput(planFrom(spec('[{ metric: f1, threshold: 0.5 }]')));
    const { error } = await runToEnd(h, input);
    expect(error).toBeDefined();
    const run = await getRun(h.db, input.runId);
    expect(run!.status).toBe('failed');
    expect(run!.error).toContain("metric 'f1' not found");
    const gate = (await getRunSteps(h.db, input.runId)).find((s) => s.step_id === 'gate')!;
    expect(gate.status).toBe('failed');
  });
});
