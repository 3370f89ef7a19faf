import Docker from 'dockerode';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../core/artifacts/s3.js';
import { getRunSteps } from '../core/runs/projection.js';
import { containerCreates } from './support/docker-events.js';
import { createHarness, type Harness } from './support/harness.js';
import { startPrivateMinio, type PrivateMinio } from './support/minio-server.js';
import { testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, startRunWorkflow } from './support/workflow-runs.js';

const docker = new Docker();
const DOWN_MS = 15_000;

/** The step runs until the test drops `release` into its outputs directory (bind-mounted from the host). */
const pipeline = `
apiVersion: sluice/v1
name: outage-minio
steps:
  - id: count
    image: ${testServices.images.busybox}
    command: [sh, -c, 'echo started; while [ ! -f /sluice/outputs/release ]; do sleep 0.2; done; echo done > /sluice/outputs/result; echo "{\\"n\\": 3}" > /sluice/outputs/metrics.json']
    outputs: [result]
`;

describe('outage: MinIO stopped while a finished step uploads its outputs', () => {
  let minio: PrivateMinio;
  let store: S3ArtifactStore;
  let h: Harness;

  beforeAll(async () => {
    minio = await startPrivateMinio();
    store = new S3ArtifactStore({ client: minio.client(), bucket: uniqueId('outage').toLowerCase() });
    await store.ensureBucket();
    h = await createHarness({ artifacts: store, defaultExecutor: 'docker' });
    await h.startInProcessWorker();
  }, 300_000);

  afterAll(async () => {
    await h?.close();
    await minio?.destroy();
  }, 60_000);

  it('the attempt retries the upload until the store is back: one container, the run succeeds', async () => {
    const since = Date.now();
    const input = runInput(planFrom(pipeline));
    const handle = await startRunWorkflow(h, input);
    const filters = { label: [`sluice.run=${input.runId}`] };
    const stateIs = (state: string) => async () =>
      (await docker.listContainers({ all: true, filters })).some((c) => c.State === state);
    await waitFor("the step's container to run", stateIs('running'), 120_000);

    await minio.stop();
    const downAt = Date.now();
    await writeFile(join(h.deps.workRoot, input.runId, 'count', 'outputs', 'release'), '');
    // Exited and kept: its outputs are not stored yet, the attempt is retrying the upload.
    await waitFor('the step to finish while the store is down', stateIs('exited'), 60_000);
    expect((await getRunSteps(h.db, input.runId))[0]?.status).toBe('running');
    await sleep(Math.max(0, downAt + DOWN_MS - Date.now()));
    await minio.start();
    const back = Date.now();

    const status = await handle.result();
    const recoveredMs = Date.now() - back;
    console.log(
      `MinIO outage: down ${back - downAt} ms; the run succeeded ${recoveredMs} ms after the store was back ` +
        `(step attempt ${status.steps[0]?.attempt})`,
    );
    expect(status.state).toBe('succeeded');
    expect(recoveredMs).toBeLessThan(120_000);
    const step = status.steps[0]!;
    expect(step.attempt, 'retried inside the attempt, not by a new one').toBe(1);
    expect(step.metrics).toEqual({ n: 3 });
    expect(await store.exists(step.outputs.result!.uri)).toBe(true);
    expect(await containerCreates(docker, input.runId, since)).toBe(1);
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    expect((await getRunSteps(h.db, input.runId))[0]).toMatchObject({ status: 'succeeded', outputs: step.outputs });
  }, 300_000);
});
