import Docker from 'dockerode';
import { describe, expect, it } from 'vitest';
import { OPEN_POLICY } from '../core/policy/schema.js';
import { apply, startRun, waitForRun } from './support/api-runs.js';
import { expectProblem, useApi } from './support/api.js';
import { testServices, uniqueId } from './support/services.js';

const docker = new Docker();
const BUSYBOX = testServices.images.busybox;

describe('the step policy at apply time', () => {
  const api = useApi({
    env: {
      SLUICE_POLICY_EXECUTORS: 'docker',
      SLUICE_POLICY_IMAGE_PREFIXES: 'sluice/',
      SLUICE_POLICY_MAX_CPU: '2',
      SLUICE_POLICY_MAX_TIMEOUT: '10m',
    },
  });
  const greedy = (name: string) => ({
    apiVersion: 'sluice/v1',
    name,
    steps: [
      { id: 'fine', image: BUSYBOX, timeout: '1m' },
      { id: 'local', image: 'none', executor: 'process', command: ['true'], timeout: '1m' },
      { id: 'wide', image: 'docker.io/any:1', network: 'host', resources: { cpu: 4 }, timeout: '2h' },
    ],
  });

  it('refuses a pipeline that asks for more, with 400 naming every step, field and rule', async () => {
    const name = uniqueId('greedy');
    const res = await api.call('operator', { method: 'POST', url: '/v1/pipelines', payload: { spec: greedy(name) } });
    const body = expectProblem(res, 400, '$.spec.steps[1].executor');
    expect(body.type).toMatch(/policy-violation$/);
    expect(body.errors).toEqual([
      { path: '$.spec.steps[1].executor', rule: 'executor', message: expect.stringMatching(/^step local: .*process/) },
      { path: '$.spec.steps[2].image', rule: 'image', message: expect.stringMatching(/^step wide: .*docker\.io/) },
      { path: '$.spec.steps[2].network', rule: 'network', message: expect.stringMatching(/^step wide: /) },
      { path: '$.spec.steps[2].resources.cpu', rule: 'cpu', message: expect.stringMatching(/^step wide: /) },
      { path: '$.spec.steps[2].timeout', rule: 'timeout', message: expect.stringMatching(/^step wide: /) },
    ]);
    const gone = await api.call('viewer', { method: 'GET', url: `/v1/pipelines/${name}` });
    expect(gone.statusCode).toBe(404);
  });

  it('names the paths of a YAML body, and validate says the same without saving', async () => {
    const yaml = `apiVersion: sluice/v1\nname: ${uniqueId('yaml')}\nsteps:\n  - { id: a, image: evil/x, timeout: 1m }\n`;
    const headers = { 'content-type': 'application/yaml' };
    const res = await api.call('operator', { method: 'POST', url: '/v1/pipelines', headers, payload: yaml });
    expectProblem(res, 400, '$.steps[0].image');
    const checked = await api.call('viewer', { method: 'POST', url: '/v1/pipelines/validate', headers, payload: yaml });
    expect(checked.json()).toMatchObject({ valid: false, errors: [{ path: '$.steps[0].image' }] });
  });

  it('accepts what the policy allows', async () => {
    const spec = {
      apiVersion: 'sluice/v1',
      name: uniqueId('fine'),
      steps: [{ id: 'a', image: BUSYBOX, timeout: '1m' }],
    };
    const res = await api.call('operator', { method: 'POST', url: '/v1/pipelines', payload: { spec } });
    expect(res.statusCode, res.body).toBe(201);
  });
});

describe('the step policy at run time', () => {
  // The API (the test default) allows any image; the worker below was configured more strictly since.
  const api = useApi({ defaultExecutor: 'docker' });

  it('fails the step naming the rule, before any container is created', async () => {
    await api.h.startInProcessWorker({ policy: { ...OPEN_POLICY, imagePrefixes: ['registry.internal/'] } });
    const name = uniqueId('tightened');
    await apply(
      api,
      `apiVersion: sluice/v1\nname: ${name}\nsteps:\n  - { id: train, image: ${BUSYBOX}, command: [sh, -c, 'echo hi'], timeout: 1m }\n`,
    );
    const since = Math.floor(Date.now() / 1000) - 1;
    const run = await startRun(api, name);
    const done = await waitForRun(api, run.id, undefined, 60_000);
    expect(done.status).toBe('failed');
    expect(done.steps[0]).toMatchObject({
      status: 'failed',
      error: expect.stringContaining('rule "image"'),
    });
    expect(done.error).toMatch(/rule "image"/);
    const events = (await docker.getEvents({
      since,
      until: Math.ceil(Date.now() / 1000) + 1,
      filters: { type: ['container'], event: ['create'], label: [`sluice.run=${run.id}`] },
    })) as NodeJS.ReadableStream;
    let text = '';
    for await (const chunk of events) text += chunk.toString();
    expect(text.trim()).toBe('');
  }, 90_000);
});
