import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { workflowIdFor } from '../core/runs/ids.js';
import { PipelineNameKey, SluiceRunIdKey, TriggerKey } from '../core/temporal/search-attributes.js';
import { useApi } from './support/api.js';
import { apply, flagPipeline, startRun, waitForRun, type RunBody } from './support/api-runs.js';
import { uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';

const sleeper = (name: string) => `
apiVersion: sluice/v1
name: ${name}
steps:
  - id: nap
    image: none
    command: [sh, -c, 'echo napping; sleep 30']
`;

describe('runs API against a real worker', () => {
  const flagged = 'flagged';
  const api = useApi({ worker: true });
  beforeAll(async () => {
    await apply(api, flagPipeline(flagged));
    await apply(api, sleeper('sleeper'));
  });

  it('runs a pipeline to success and reports each step with outputs, metrics and durations', async () => {
    const flag = join(api.h.dir, 'flag-ok');
    await writeFile(flag, '');
    const started = await startRun(api, flagged, { params: { greeting: 'sluice', flag } });
    expect(started).toMatchObject({ status: 'pending', trigger: 'api', params: { greeting: 'sluice', flag } });
    expect(started.id).toMatch(new RegExp(`^${flagged}-\\d{14}-[a-z0-9]{4}$`));
    const run = await waitForRun(api, started.id);
    expect(run.status).toBe('succeeded');
    expect(run.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'succeeded'],
    ]);
    expect(run.steps[0]!.metrics).toEqual({ n: 2 });
    expect(run.steps.every((s) => s.durationMs !== null && s.durationMs >= 0)).toBe(true);
    expect(await readFile(new URL(run.steps[1]!.outputs.out!.uri), 'utf8')).toBe('sluice\n');

    const again = await api.call('operator', { method: 'POST', url: `/v1/runs/${run.id}/retry` });
    expect(again.statusCode).toBe(409);
    const cancel = await api.call('operator', { method: 'POST', url: `/v1/runs/${run.id}/cancel` });
    expect(cancel.statusCode).toBe(409);
    expect(cancel.json().detail).toMatch(/already succeeded/);
  });

  it("tags each run's workflow with the search attributes Temporal finds runs by", async () => {
    const started = await startRun(api, flagged);
    const { typedSearchAttributes } = await api.h.client.workflow.getHandle(workflowIdFor(started.id)).describe();
    expect(typedSearchAttributes.get(PipelineNameKey)).toBe(flagged);
    expect(typedSearchAttributes.get(SluiceRunIdKey)).toBe(started.id);
    expect(typedSearchAttributes.get(TriggerKey)).toBe('api');
    await waitForRun(api, started.id);
  });

  it('retries a failed run from the failed step, reusing the finished one', async () => {
    const flag = join(api.h.dir, `flag-${uniqueId('f')}`);
    const failed = await waitForRun(api, (await startRun(api, flagged, { params: { flag } })).id);
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatch(/step b failed/);
    expect(failed.steps.map((s) => [s.id, s.status])).toEqual([
      ['a', 'succeeded'],
      ['b', 'failed'],
    ]);
    expect(failed.steps[1]!.error).toMatch(/exited with code 3/);

    await writeFile(flag, '');
    const res = await api.call('operator', { method: 'POST', url: `/v1/runs/${failed.id}/retry` });
    expect(res.statusCode, res.body).toBe(201);
    const retry: RunBody = res.json();
    expect(retry).toMatchObject({ retryOf: failed.id, trigger: 'retry' });
    const done = await waitForRun(api, retry.id);
    expect(done.status).toBe('succeeded');
    const [a, b] = done.steps;
    expect(a).toMatchObject({ id: 'a', status: 'cached', cacheHit: true, cachedFromRun: failed.id });
    expect(a!.outputs.text!.uri).toBe(failed.steps[0]!.outputs.text!.uri);
    expect(b).toMatchObject({ id: 'b', status: 'succeeded', cacheHit: false });

    const events = (
      await api.call('viewer', { method: 'GET', url: `/v1/events?action=run.retry&resourceId=${retry.id}` })
    ).json();
    expect(events.items).toHaveLength(1);
    expect(events.items[0].details).toEqual({ retryOf: failed.id });
  });

  it('starts one workflow for concurrent requests with the same idempotency key', async () => {
    const key = uniqueId('idem');
    const body = { params: { greeting: 'once' }, idempotencyKey: key };
    const responses = await Promise.all(
      [1, 2, 3, 4].map(() =>
        api.call('operator', { method: 'POST', url: `/v1/pipelines/${flagged}/runs`, payload: body }),
      ),
    );
    expect(responses.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 201]);
    const ids = new Set(responses.map((r) => r.json().id));
    expect(ids.size).toBe(1);
    const [id] = [...ids];
    const later = await api.call('operator', { method: 'POST', url: `/v1/pipelines/${flagged}/runs`, payload: body });
    expect([later.statusCode, later.json().id]).toEqual([200, id]);

    const query = `WorkflowId = '${workflowIdFor(id)}'`;
    await waitFor('the workflow to be visible', async () => (await api.h.client.workflow.count(query)).count > 0);
    expect((await api.h.client.workflow.count(query)).count).toBe(1);
    const starts = (
      await api.call('viewer', { method: 'GET', url: `/v1/events?action=run.start&resourceId=${id}` })
    ).json();
    expect(starts.items).toHaveLength(1);

    const different = await api.call('operator', {
      method: 'POST',
      url: `/v1/pipelines/${flagged}/runs`,
      payload: { ...body, params: { greeting: 'twice' } },
    });
    expect(different.statusCode).toBe(409);
    expect(different.json().detail).toMatch(/different params/);
  });

  it('shows a running step live and cancels the run', async () => {
    const started = await startRun(api, 'sleeper');
    // The attempt of a running step comes from the projection its activity writes on start.
    const live = await waitForRun(
      api,
      started.id,
      (r) => r.steps[0]?.status === 'running' && r.steps[0]?.attempt === 1,
    );
    expect(live.status).toBe('running');
    expect(live.steps[0]!.startedAt).not.toBeNull();
    const res = await api.call('operator', { method: 'POST', url: `/v1/runs/${started.id}/cancel` });
    expect(res.statusCode, res.body).toBe(202);
    const done = await waitForRun(api, started.id, (r) => r.status === 'cancelled', 20_000);
    expect(done.steps[0]!.status).toBe('cancelled');
    const cancelled = (
      await api.call('viewer', { method: 'GET', url: `/v1/events?action=run.cancel&resourceId=${started.id}` })
    ).json();
    expect(cancelled.items[0]).toMatchObject({ actor: 'test-operator', resourceType: 'run' });
  });

  it('names each bad param and refuses unknown pipelines and versions', async () => {
    const bad = await api.call('operator', {
      method: 'POST',
      url: `/v1/pipelines/${flagged}/runs`,
      payload: { params: { greeting: 3, nope: 1 } },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors).toEqual(
      expect.arrayContaining([
        { path: '$.params.nope', message: expect.stringMatching(/unknown param/) },
        { path: '$.params.greeting', message: expect.stringMatching(/expected a string/) },
      ]),
    );
    const missing = await api.call('operator', { method: 'POST', url: '/v1/pipelines/ghost/runs', payload: {} });
    expect(missing.statusCode).toBe(404);
    const version = await api.call('operator', {
      method: 'POST',
      url: '/v1/runs',
      payload: { pipeline: flagged, version: 9 },
    });
    expect(version.statusCode).toBe(404);
    expect(version.json().detail).toMatch(`${flagged}@9`);
  });
});
