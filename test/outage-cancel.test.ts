import Docker from 'dockerode';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apply, startRun, waitForRun } from './support/api-runs.js';
import { createApi, type ApiHarness } from './support/api.js';
import { createHarness, type Harness } from './support/harness.js';
import { msUntilContainersRemoved } from './support/cancel-timing.js';
import { containerCreates } from './support/docker-events.js';
import { testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';

const docker = new Docker();

describe('outage: a run cancelled while its docker step runs', () => {
  let h: Harness;
  let api: ApiHarness;
  beforeAll(async () => {
    h = await createHarness({ defaultExecutor: 'docker' });
    await h.startInProcessWorker();
    api = await createApi(h);
  }, 300_000);
  afterAll(async () => {
    await h?.close();
  }, 60_000);

  it('the cancel reaches the container in seconds; the finished step keeps its outputs; each container started once', async () => {
    const since = Date.now();
    const name = uniqueId('outage-cancel');
    await apply(
      api,
      `
apiVersion: sluice/v1
name: ${name}
steps:
  - id: before
    image: ${testServices.images.busybox}
    command: [sh, -c, 'echo kept > /sluice/outputs/text']
    outputs: [text]
  - id: hold
    image: ${testServices.images.busybox}
    command: [sh, -c, 'trap "" TERM; while true; do sleep 1; done']
    inputs: { text: steps.before.outputs.text }
`,
    );
    const run = await startRun(api, name);
    const filters = { label: [`sluice.run=${run.id}`, 'sluice.step=hold'] };
    await waitFor(
      'the hold step to run',
      async () => (await docker.listContainers({ filters })).some((c) => c.State === 'running'),
      60_000,
    );
    const before = (await waitForRun(api, run.id, (r) => r.steps[0]?.status === 'succeeded')).steps[0]!;

    const cancelledAt = Date.now();
    const res = await api.call('operator', { method: 'POST', url: `/v1/runs/${run.id}/cancel` });
    expect(res.statusCode, res.body).toBeLessThan(300);
    // Target 5 s, even for a step that ignores SIGTERM (a 1 s grace, then SIGKILL); generous bound for a loaded machine.
    const removedMs = await msUntilContainersRemoved(docker, run.id, cancelledAt);
    console.log(`Cancel: the step's container was gone ${removedMs} ms after the cancel request`);
    expect(removedMs).toBeLessThan(30_000);

    const done = await waitForRun(api, run.id, undefined, 60_000);
    expect(done.status).toBe('cancelled');
    expect(done.steps.map((s) => [s.id, s.status])).toEqual([
      ['before', 'succeeded'],
      ['hold', 'cancelled'],
    ]);
    expect(done.steps[0]!.outputs.text?.uri).toBe(before.outputs.text?.uri);
    expect(await h.deps.artifacts.exists(before.outputs.text!.uri)).toBe(true);
    expect(await containerCreates(docker, run.id, since)).toBe(2);
  }, 180_000);
});
