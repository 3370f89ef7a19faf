import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRun, getRunSteps } from '../core/runs/projection.js';
import { useApi } from './support/api.js';
import { apply, startRun, waitForRun, type RunBody } from './support/api-runs.js';
import { useHarness } from './support/harness.js';
import { uniqueId } from './support/services.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

/**
 * train writes a "model" whose score is the param; the evaluation reads the score back from
 * whichever model it is given, logs it to $COUNTER (one line per execution) and writes metrics.json.
 */
const EVALUATE = [
  'acc=$(sed -n "s/^score=//p" "$SLUICE_INPUTS_DIR/model")',
  'test -s "$SLUICE_INPUTS_DIR/data"',
  'echo "$acc" >> "$COUNTER"',
  'echo "scored $acc"',
  'echo "{\\"accuracy\\": $acc}" > "$SLUICE_OUTPUTS_DIR/metrics.json"',
].join('; ');

const spec = (model: string, counter: string, evaluate = EVALUATE) => `
apiVersion: sluice/v1
name: evaluated
params:
  s: { type: number, default: 0.8 }
steps:
  - id: split
    image: none
    command: [sh, -c, 'echo "x,target" > "$SLUICE_OUTPUTS_DIR/test.csv"']
    outputs: [test.csv]
  - id: train
    image: none
    command: [sh, -c, 'echo "score=$S" > "$SLUICE_OUTPUTS_DIR/model.pkl"']
    env: { S: "\${params.s}" }
    outputs: [model.pkl]
  - id: evaluate
    kind: evaluate
    image: none
    command: [sh, -c, '${evaluate.replaceAll("'", "''")}']
    env: { COUNTER: "${counter}" }
    model: steps.train.outputs.model.pkl
    data: steps.split.outputs.test.csv
    baseline: models:/${model}@champion
  - id: gate
    kind: gate
    metricsFrom: evaluate
    checks: [{ metric: accuracy, threshold: 0.5, minGain: 0 }]
  - id: register
    kind: register
    model: ${model}
    artifact: steps.train.outputs.model.pkl
    metricsFrom: [evaluate]
    dependsOn: [gate]
  - id: promote
    kind: promote
    from: register
`;

describe('the evaluate kind on a real worker', () => {
  const h = useHarness({ worker: true });
  const stepsOf = async (runId: string) =>
    Object.fromEntries((await getRunSteps(h.db, runId)).map((s) => [s.step_id, s]));
  const executions = async (counter: string) => (await readFile(counter, 'utf8')).trim().split('\n');

  it('evaluates the candidate, and the champion beside it once there is one; an unchanged champion comes from the cache', async () => {
    const model = uniqueId('wine').toLowerCase();
    const counter = join(h.dir, `${model}.count`);
    const yaml = spec(model, counter);

    // 1. No champion yet: metrics only, the baseline skipped with the reason, the gain check skipped.
    const first = runInput(planFrom(yaml, { s: 0.8 }));
    const r1 = await runToEnd(h, first);
    expect(r1.error).toBeUndefined();
    expect(r1.status).toMatchObject({ state: 'succeeded', outcome: 'promoted' });
    const s1 = await stepsOf(first.runId);
    expect(s1.evaluate).toMatchObject({ status: 'succeeded', metrics: { accuracy: 0.8 } });
    expect(s1.evaluate!.details).toEqual({
      baseline: null,
      baselineSkipped: `models:/${model}@champion does not exist yet`,
    });
    expect(s1.gate!.details).toMatchObject({
      passed: true,
      baseline: null,
      checks: [{ metric: 'accuracy', value: 0.8, baseline: null, minGain: { verdict: 'skipped' } }],
    });
    expect(s1['evaluate.baseline']).toBeUndefined();
    expect(await executions(counter)).toEqual(['0.8']);

    // 2. The champion (version 1) is evaluated on the same data beside the candidate, and the gate compares.
    // Without the cache, so the champion's evaluation really runs (run 1 scored the same model as its candidate).
    const second = runInput(planFrom(yaml, { s: 0.9 }, { cache: false }));
    const r2 = await runToEnd(h, second);
    expect(r2.error).toBeUndefined();
    expect(r2.status).toMatchObject({ state: 'succeeded', outcome: 'promoted' });
    const s2 = await stepsOf(second.runId);
    expect(s2.evaluate).toMatchObject({ status: 'succeeded', metrics: { accuracy: 0.9 } });
    expect(s2.evaluate!.details).toEqual({
      baseline: { uri: `models:/${model}@champion`, model, version: 1 },
      baselineMetrics: { accuracy: 0.8 },
      baselineCached: false,
      baselineLog: 'evaluate.baseline',
    });
    expect(s2.gate!.details).toMatchObject({
      passed: true,
      baseline: { model, version: 1 },
      checks: [{ metric: 'accuracy', value: 0.9, baseline: 0.8, minGain: { verdict: 'passed' } }],
    });
    expect((await executions(counter)).sort()).toEqual(['0.8', '0.8', '0.9']);
    // The baseline's own row (its recorded result) and log, under <step>.baseline.
    expect(s2['evaluate.baseline']).toMatchObject({ status: 'succeeded', metrics: { accuracy: 0.8 } });
    expect(await h.deps.logs.exists(second.runId, 'evaluate.baseline')).toBe(true);
    expect(await h.deps.logs.exists(second.runId, 'evaluate')).toBe(true);

    // 3. A worse candidate against the same champion (version 2) twice: the champion's evaluation runs
    // once at most (run 2 already scored that model as its candidate), the gate fails on the gain.
    for (const s of [0.7, 0.6]) {
      const next = runInput(planFrom(yaml, { s }));
      const r = await runToEnd(h, next);
      expect(r.error).toBeUndefined();
      expect(r.status).toMatchObject({ state: 'succeeded', outcome: 'not-promoted' });
      expect(r.status!.outcomeReason).toContain('gain');
      const st = await stepsOf(next.runId);
      expect(st.evaluate!.details).toMatchObject({
        baseline: { model, version: 2 },
        baselineMetrics: { accuracy: 0.9 },
        baselineCached: true,
        baselineCachedFromRun: second.runId,
      });
      expect(st['evaluate.baseline']).toMatchObject({ status: 'cached', cached_from_run: second.runId });
    }
    expect((await executions(counter)).sort()).toEqual(['0.6', '0.7', '0.8', '0.8', '0.9']);
  });

  const failing: [string, string, string][] = [
    ['exits non-zero', 'echo boom >&2; exit 3', 'evaluation of the candidate failed: exited with code 3'],
    [
      'writes no metrics.json',
      'echo nothing',
      'evaluation of the candidate failed: exited 0 but did not write declared output(s): metrics.json',
    ],
    [
      'writes an empty metrics.json',
      'echo "{}" > "$SLUICE_OUTPUTS_DIR/metrics.json"',
      'evaluation of the candidate wrote no metrics',
    ],
  ];

  it.each(failing)('an evaluation that %s fails the step, saying so', async (_what, program, message) => {
    const model = uniqueId('broken').toLowerCase();
    const input = runInput(planFrom(spec(model, join(h.dir, `${model}.count`), program)));
    const { error } = await runToEnd(h, input);
    expect(error).toBeDefined();
    const run = await getRun(h.db, input.runId);
    expect(run!.status).toBe('failed');
    expect(run!.error).toContain(message);
    const st = await stepsOf(input.runId);
    expect(st.evaluate).toMatchObject({ status: 'failed' });
    expect(st.evaluate!.error).toContain(message);
    expect(st.gate!.status).toBe('cancelled');
  });
});

describe('the evaluate kind through the API', () => {
  const api = useApi({ worker: true });

  it('shows one evaluate step with the baseline in its details, and serves the baseline evaluation log', async () => {
    const model = uniqueId('api-wine').toLowerCase();
    const name = uniqueId('evaluated').toLowerCase();
    // register gives the version the champion alias itself, so the second run has a baseline.
    const yaml = spec(model, join(api.h.dir, `${model}.count`))
      .replace('name: evaluated', `name: ${name}`)
      .replace('    dependsOn: [gate]\n', '    dependsOn: [gate]\n    alias: champion\n')
      .replace(/ {2}- id: promote\n.*\n.*\n$/, '');
    await apply(api, yaml);
    const first = await waitForRun(api, (await startRun(api, name, { params: { s: 0.8 } })).id);
    expect(first.status).toBe('succeeded');
    const run = await waitForRun(api, (await startRun(api, name, { params: { s: 0.9 } })).id);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => s.id)).toEqual(['split', 'train', 'evaluate', 'gate', 'register']);
    const evaluate = run.steps.find((s) => s.id === 'evaluate') as RunBody['steps'][number] & { details: unknown };
    expect(evaluate.metrics).toEqual({ accuracy: 0.9 });
    expect(evaluate.details).toMatchObject({
      baseline: { model, version: 1 },
      baselineMetrics: { accuracy: 0.8 },
      // Run 1 scored the same model on the same data as its candidate: that result, and its log, serve.
      baselineCached: true,
      baselineCachedFromRun: first.id,
      baselineLog: 'evaluate.baseline',
    });

    const log = (step: string) =>
      api.call('viewer', { method: 'GET', url: `/v1/runs/${run.id}/steps/${step}/logs?format=text` });
    const [candidateLog, baselineLog, stray] = await Promise.all([
      log('evaluate'),
      log('evaluate.baseline'),
      log('train.baseline'),
    ]);
    expect(candidateLog.statusCode).toBe(200);
    expect(candidateLog.body).toContain('scored 0.9');
    expect(baselineLog.statusCode).toBe(200);
    expect(baselineLog.body).toContain('scored 0.8');
    expect(stray.statusCode).toBe(404);
  });
  it('a retry reuses the evaluate step with its details: a gate that runs again still compares with the baseline', async () => {
    const model = uniqueId('retry-wine').toLowerCase();
    const name = uniqueId('retried').toLowerCase();
    const flag = join(api.h.dir, `${model}.flag`);
    // publish sits between evaluate and the gate and fails while the flag file is missing.
    const yaml = spec(model, join(api.h.dir, `${model}.count`))
      .replace('name: evaluated', `name: ${name}`)
      .replace('    metricsFrom: evaluate\n', '    metricsFrom: evaluate\n    dependsOn: [publish]\n')
      .replace('    dependsOn: [gate]\n', '    dependsOn: [gate]\n    alias: champion\n')
      .replace(
        / {2}- id: promote\n.*\n.*\n$/,
        `  - id: publish\n    image: none\n    command: [sh, -c, 'test -f "$FLAG" || exit 3']\n    env: { FLAG: "${flag}" }\n    dependsOn: [evaluate]\n`,
      );
    await apply(api, yaml);
    await writeFile(flag, '');
    expect((await waitForRun(api, (await startRun(api, name, { params: { s: 0.8 } })).id)).status).toBe('succeeded');
    await rm(flag);
    const failed = await waitForRun(api, (await startRun(api, name, { params: { s: 0.9 } })).id);
    expect(failed.status).toBe('failed');

    await writeFile(flag, '');
    const res = await api.call('operator', { method: 'POST', url: `/v1/runs/${failed.id}/retry` });
    expect(res.statusCode, res.body).toBe(201);
    const retried = await waitForRun(api, (res.json() as RunBody).id);
    expect(retried.status).toBe('succeeded');
    const byId = Object.fromEntries(retried.steps.map((st) => [st.id, st as typeof st & { details: unknown }]));
    expect(byId.evaluate).toMatchObject({ status: 'cached', cachedFromRun: failed.id });
    expect(byId.evaluate!.details).toMatchObject({ baseline: { version: 1 }, baselineMetrics: { accuracy: 0.8 } });
    expect(byId.gate!.details).toMatchObject({ checks: [{ metric: 'accuracy', value: 0.9, baseline: 0.8 }] });
    expect(retried.steps.map((st) => st.id)).not.toContain('evaluate.baseline');
  });
});
