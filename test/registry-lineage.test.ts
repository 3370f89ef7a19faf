import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from './support/api.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

const ingest = `
apiVersion: sluice/v1
name: ingest
steps:
  - id: extract
    image: none
    command: [sh, -c, 'printf "tenure,monthly,churned\\n1,20.5,true\\n24,80,false\\n60,99.9,false\\n" > "$SLUICE_OUTPUTS_DIR/data.csv"']
    outputs: [data.csv]
`;
const train = `
apiVersion: sluice/v1
name: train
steps:
  - id: fit
    image: none
    command: [sh, -c, 'wc -l < "$SLUICE_INPUTS_DIR/data" > "$SLUICE_OUTPUTS_DIR/model.pkl"; echo "{\\"accuracy\\": 0.93}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    inputs: { data: "datasets:/churn-data/1" }
    outputs: [model.pkl]
`;

interface Graph {
  nodes: Array<{ id: string; type: string; label: string; attrs: Record<string, unknown> }>;
  edges: Array<{ from: string; to: string; kind: string; via?: string }>;
}
const edge = (g: Graph, from: string, kind: string, to: string) =>
  g.edges.some((e) => e.from === from && e.kind === kind && e.to === to);

describe('lineage across real pipeline runs', () => {
  let ingestRun = '';
  let trainRun = '';
  // The harness' worker resolves datasets:/ and models:/ inputs through the registry, as workers/ does.
  const api = useApi({ worker: true });
  beforeAll(async () => {
    const first = runInput(planFrom(ingest));
    expect((await runToEnd(api.h, first)).status?.state).toBe('succeeded');
    ingestRun = first.runId;
    const ds = await api.call('operator', {
      method: 'POST',
      url: '/v1/datasets/churn-data/versions',
      payload: { source: { runId: ingestRun, stepId: 'extract', output: 'data.csv' } },
    });
    expect(ds.statusCode, ds.body).toBe(201);
    expect(ds.json()).toMatchObject({
      version: 1,
      rowCount: 3,
      lineage: { runId: ingestRun, stepId: 'extract', output: 'data.csv' },
    });

    const second = runInput(planFrom(train));
    const result = await runToEnd(api.h, second);
    expect(result.error?.message, 'the train pipeline (datasets:/ input) should succeed').toBeUndefined();
    trainRun = second.runId;
  });

  const recorded = async () =>
    await api.h.db.selectFrom('run_inputs').selectAll().where('run_id', '=', trainRun).execute();

  it('links run → artifact → model version, the dataset to its producing run, and listed training data', async () => {
    const reg = await api.call('operator', {
      method: 'POST',
      url: '/v1/models/churn/versions',
      payload: {
        source: { runId: trainRun, stepId: 'fit', output: 'model.pkl' },
        format: 'sklearn-pickle',
        metrics: { accuracy: 0.93 },
        datasets: ['datasets:/churn-data/1'],
      },
    });
    expect(reg.statusCode, reg.body).toBe(201);
    expect(reg.json()).toMatchObject({
      version: 1,
      lineage: { runId: trainRun, stepId: 'fit', output: 'model.pkl', datasets: ['datasets:/churn-data/1'] },
    });
    const sha = reg.json().artifact.sha256 as string;

    const up = await api.call('viewer', {
      method: 'GET',
      url: '/v1/lineage/models/churn/versions/1?direction=upstream&depth=5',
    });
    expect(up.statusCode, up.body).toBe(200);
    const g = up.json() as Graph;
    const ds = 'dataset_version:churn-data/1';
    expect(edge(g, `artifact:${sha}`, 'registered_as', 'model_version:churn/1')).toBe(true);
    expect(edge(g, `run:${trainRun}`, 'produced', `artifact:${sha}`)).toBe(true);
    expect(edge(g, ds, 'trained_on', 'model_version:churn/1')).toBe(true);
    const csvNode = g.edges.find((e) => e.to === ds && e.kind === 'registered_as')!.from;
    expect(edge(g, `run:${ingestRun}`, 'produced', csvNode)).toBe(true);
    expect(g.nodes.find((n) => n.id === `run:${trainRun}`)).toMatchObject({
      type: 'run',
      attrs: { pipeline: 'train', status: 'succeeded' },
    });
    expect(g.nodes.find((n) => n.id === ds)).toMatchObject({ label: 'churn-data v1', attrs: { rowCount: 3 } });
    for (const e of g.edges)
      expect(g.nodes.some((n) => n.id === e.from) && g.nodes.some((n) => n.id === e.to)).toBe(true);

    const down = (
      await api.call('viewer', {
        method: 'GET',
        url: '/v1/lineage/datasets/churn-data/versions/1?direction=downstream',
      })
    ).json() as Graph;
    expect(edge(down, ds, 'trained_on', 'model_version:churn/1')).toBe(true);
    expect(down.nodes.some((n) => n.id === `run:${ingestRun}`)).toBe(false); // upstream is not walked
    const shallow = (
      await api.call('viewer', { method: 'GET', url: '/v1/lineage/models/churn/versions/1?direction=upstream&depth=1' })
    ).json() as Graph;
    expect(shallow.nodes.map((n) => n.type).sort()).toEqual(['artifact', 'dataset_version', 'model_version']);
  });

  it('records what a step consumed: dataset → run → artifact → model version', async () => {
    const rows = await recorded();
    expect(rows).toEqual([
      expect.objectContaining({
        step_id: 'fit',
        input_name: 'data',
        uri: 'datasets:/churn-data/1',
        resolved_type: 'dataset_version',
        resolved_name: 'churn-data',
        resolved_version: 1,
      }),
    ]);
    // Registered without listing datasets: the run's consumption is the lineage.
    const reg = await api.call('operator', {
      method: 'POST',
      url: '/v1/models/churn-auto/versions',
      payload: { source: { runId: trainRun, stepId: 'fit', output: 'model.pkl' } },
    });
    expect(reg.json().lineage.datasets).toEqual(['datasets:/churn-data/1']);
    const sha = reg.json().artifact.sha256 as string;
    const ds = 'dataset_version:churn-data/1';
    const down = (
      await api.call('viewer', {
        method: 'GET',
        url: '/v1/lineage/datasets/churn-data/versions/1?direction=downstream&depth=3',
      })
    ).json() as Graph;
    expect(edge(down, ds, 'consumed_by', `run:${trainRun}`)).toBe(true);
    expect(edge(down, `run:${trainRun}`, 'produced', `artifact:${sha}`)).toBe(true);
    expect(edge(down, `artifact:${sha}`, 'registered_as', 'model_version:churn-auto/1')).toBe(true);
    const run = (
      await api.call('viewer', { method: 'GET', url: `/v1/lineage/runs/${trainRun}?depth=1` })
    ).json() as Graph;
    expect(run.nodes.map((n) => n.id).sort()).toEqual([`artifact:${sha}`, ds, `run:${trainRun}`].sort());
  });

  it('answers bad lineage requests with 400 / 404', async () => {
    const get = (url: string) => api.call('viewer', { method: 'GET', url });
    expect((await get('/v1/lineage/models/nope/versions/1')).statusCode).toBe(404);
    expect((await get('/v1/lineage/models/churn/versions/9')).statusCode).toBe(404);
    expect((await get('/v1/lineage/datasets/churn-data/versions/9')).statusCode).toBe(404);
    expect((await get('/v1/lineage/runs/no-such-run')).statusCode).toBe(404);
    const bad = await get('/v1/lineage/models/churn/versions/1?depth=99');
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0].path).toBe('querystring.depth');
    expect((await get('/v1/lineage/models/churn/versions/1?direction=sideways')).json().errors[0].path).toBe(
      'querystring.direction',
    );
  });
});
