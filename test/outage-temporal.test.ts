import Docker from 'dockerode';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { getRun, getRunSteps, upsertRun } from '../core/runs/projection.js';
import { freePort, startDevServer, type DevServer } from '../core/temporal/dev-server.js';
import { dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { containerCreates } from './support/docker-events.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';
import { planFrom, runInput, startRunWorkflow } from './support/workflow-runs.js';

const docker = new Docker();
/** Past the step's 15 s heartbeat timeout: the server times the attempt out when it is back. */
const DOWN_MS = 22_000;

/** The step runs until the test drops `release` into its outputs directory (bind-mounted from the host). */
const pipeline = `
apiVersion: sluice/v1
name: outage-temporal
steps:
  - id: count
    image: ${testServices.images.busybox}
    command: [sh, -c, 'echo started; while [ ! -f /sluice/outputs/release ]; do sleep 0.2; done; echo done > /sluice/outputs/result; echo finished']
    outputs: [result]
`;

describe('outage: Temporal killed past the heartbeat timeout while a step ends', () => {
  let dir: string;
  let server: DevServer;
  let port: number;
  let pg: OpenedDb;
  let h: Harness;
  const startServer = async () => {
    server = await startDevServer({
      binary: inject('temporalBinary'),
      dbFile: join(dir, 'temporal.db'),
      port,
      headless: true,
      detached: false,
    });
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-outage-temporal-'));
    port = await freePort();
    await startServer();
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db, defaultExecutor: 'docker', temporalAddress: server.address });
    await h.startInProcessWorker();
  }, 300_000);

  afterAll(async () => {
    await h?.close();
    await pg?.close();
    await server?.stop();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('the finished step is adopted, not run again: one container, the run succeeds', async () => {
    const since = Date.now();
    const input = runInput(planFrom(pipeline));
    // The row the API writes before the start: an acknowledged write that must survive.
    await upsertRun(h.db, {
      id: input.runId,
      workflowId: `run-${input.runId}`,
      pipeline: input.plan.pipeline,
      version: 1,
      params: {},
      trigger: 'test',
      status: 'pending',
    });
    const handle = await startRunWorkflow(h, input);
    const filters = { label: [`sluice.run=${input.runId}`] };
    await waitFor(
      "the step's container to run",
      async () => (await docker.listContainers({ filters })).some((c) => c.State === 'running'),
      60_000,
    );

    server.kill();
    const killedAt = Date.now();
    await writeFile(join(h.deps.workRoot, input.runId, 'count', 'outputs', 'release'), '');
    const recorded = await waitFor(
      'the step to record its result while Temporal is down',
      async () => (await getRunSteps(h.db, input.runId)).find((s) => s.status === 'succeeded'),
      60_000,
    );
    // The outage itself: the server stays away past the heartbeat timeout.
    await sleep(Math.max(0, killedAt + DOWN_MS - Date.now()));
    await startServer();
    const back = Date.now();

    const status = await handle.result();
    const recoveredMs = Date.now() - back;
    console.log(
      `Temporal outage: down ${back - killedAt} ms; the run succeeded ${recoveredMs} ms after the server was back ` +
        `(step attempt ${status.steps[0]?.attempt})`,
    );
    expect(status.state).toBe('succeeded');
    expect(recoveredMs).toBeLessThan(120_000);
    const step = status.steps[0]!;
    expect(step.outputs.result?.uri).toBe((recorded.outputs as Record<string, { uri: string }>).result?.uri);
    expect(await h.deps.artifacts.exists(step.outputs.result!.uri)).toBe(true);
    expect(await containerCreates(docker, input.runId, since)).toBe(1);
    expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    await waitFor(
      'the run row to say succeeded',
      async () => (await getRun(h.db, input.runId))?.status === 'succeeded',
      30_000,
    );
  }, 300_000);
});
