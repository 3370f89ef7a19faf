import { describe, expect, it } from 'vitest';
import { registerStepActivity } from '../activities/kinds/register.js';
import { ConflictError } from '../core/errors.js';
import { rollbackAlias } from '../core/registry/models/alias-history.js';
import { listAliases } from '../core/registry/models/aliases.js';
import { getRun, getRunSteps } from '../core/runs/projection.js';
import { useHarness } from './support/harness.js';
import { uniqueId } from './support/services.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

/** train (writes a model whose bytes depend on the param) → register (challenger) → promote (champion). */
const spec = (model: string) => `
apiVersion: sluice/v1
name: promotion
params:
  c: { type: number, default: 1 }
steps:
  - id: train
    image: none
    command: [sh, -c, 'echo "model c=$C" > "$SLUICE_OUTPUTS_DIR/model.pkl"; echo "{\\"accuracy\\": 0.9}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    env: { C: "\${params.c}" }
    outputs: [model.pkl]
  - id: register
    kind: register
    model: ${model}
    artifact: steps.train.outputs.model.pkl
    metricsFrom: [train]
    alias: challenger
  - id: promote
    kind: promote
    from: register
`;

describe('the register and promote kinds on a real worker', () => {
  const h = useHarness({ worker: true });

  it('registers with lineage, moves the aliases, records the previous champion, and rollback restores it', async () => {
    const model = uniqueId('wine').toLowerCase();
    const first = runInput(planFrom(spec(model), { c: 1 }));
    const r1 = await runToEnd(h, first);
    expect(r1.error).toBeUndefined();
    expect(r1.status).toMatchObject({ state: 'succeeded', outcome: 'promoted' });
    const steps1 = Object.fromEntries((await getRunSteps(h.db, first.runId)).map((s) => [s.step_id, s]));
    expect(steps1.register!.details).toEqual({ model, version: 1, uri: `models:/${model}/1`, alias: 'challenger' });
    expect(steps1.promote!.details).toEqual({ model, alias: 'champion', version: 1, previous: null });

    const v1 = await h.db
      .selectFrom('model_versions')
      .selectAll()
      .where('model', '=', model)
      .where('version', '=', 1)
      .executeTakeFirstOrThrow();
    expect(v1).toMatchObject({
      run_id: first.runId,
      step_id: 'train',
      output_name: 'model.pkl',
      created_by: `run:${first.runId}`,
    });
    expect(v1.metrics).toEqual({ accuracy: 0.9 });
    expect(v1.params).toEqual({ c: 1 });

    const second = runInput(planFrom(spec(model), { c: 2 }));
    const r2 = await runToEnd(h, second);
    expect(r2.error).toBeUndefined();
    expect(r2.status!.outcomeReason).toContain('previously');
    const promote2 = (await getRunSteps(h.db, second.runId)).find((s) => s.step_id === 'promote')!;
    expect(promote2.details).toEqual({ model, alias: 'champion', version: 2, previous: 1 });
    expect(await getRun(h.db, second.runId)).toMatchObject({ outcome: 'promoted' });

    const aliases = Object.fromEntries((await listAliases(h.db, model)).map((a) => [a.alias, a.version]));
    expect(aliases).toEqual({ challenger: 2, champion: 2 });

    // One call rolls the promotion back; then there is nothing before version 1.
    expect(await rollbackAlias(h.db, model, 'champion', { actor: 'test' })).toMatchObject({
      version: 1,
      rolledBackFrom: 2,
    });
    expect((await listAliases(h.db, model)).find((a) => a.alias === 'champion')!.version).toBe(1);
    await expect(rollbackAlias(h.db, model, 'champion', { actor: 'test' })).rejects.toBeInstanceOf(ConflictError);
  });

  it('a retried register activity for the same run and step makes exactly one version', async () => {
    const model = uniqueId('idem').toLowerCase();
    const input = runInput(planFrom(spec(model)));
    await runToEnd(h, input);
    const register = registerStepActivity(h.deps);
    const again = {
      runId: input.runId,
      stepId: 'register',
      model,
      artifact: { source: { runId: input.runId, stepId: 'train', output: 'model.pkl' } },
      metrics: { accuracy: 0.9 },
      params: { c: 1 },
      datasets: [],
      alias: 'challenger',
    };
    const [a, b] = [await register(again), await register(again)];
    expect(a).toMatchObject({ version: 1, created: false });
    expect(b).toMatchObject({ version: 1, created: false });
    const versions = await h.db.selectFrom('model_versions').select('version').where('model', '=', model).execute();
    expect(versions).toHaveLength(1);
  });
});
