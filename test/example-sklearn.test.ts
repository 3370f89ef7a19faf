import { describe, expect, it } from 'vitest';
import { specWithCode } from './support/code.js';
import { useHarness } from './support/harness.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

// The example users copy: real scikit-learn in the locally built sluice/sklearn:1 image, the code
// package mounted at /sluice/code.
describe('examples/pipelines/train-sklearn.yaml on docker', () => {
  const h = useHarness({ defaultExecutor: 'docker', worker: true });

  it('ingests, trains and evaluates a logistic regression, then passes the gate', async () => {
    const yaml = await specWithCode(h, new URL('../examples/pipelines/train-sklearn.yaml', import.meta.url));
    const { status, error } = await runToEnd(h, runInput(planFrom(yaml, { C: 0.5 })));
    expect(error).toBeUndefined();
    const by = Object.fromEntries(status!.steps.map((s) => [s.id, s]));
    expect(by.ingest!.metrics).toEqual({ rows: 569, columns: 31 });
    expect(by.train!.outputs['model.pkl']!.size).toBeGreaterThan(500);
    expect(by.evaluate!.metrics.accuracy).toBeGreaterThan(0.9);
    expect(by.report!.state).toBe('succeeded');
  }, 120_000);
});
