import Docker from 'dockerode';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { planFrom, runInput, startRunWorkflow } from './support/workflow-runs.js';

const docker = new Docker();

describe('durability: a worker killed mid-step', () => {
  let h: Harness;
  let pg: OpenedDb;
  beforeAll(async () => {
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
  });
  afterAll(async () => {
    await h?.close();
    await pg?.close();
  });

  it('re-attaches to the still-running container: the step ran exactly once and the run completes', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'sluice-durable-'));
    const schema = await currentSchema(pg.db);
    const env = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: workDir,
      SLUICE_EXECUTOR: 'docker',
    };
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: durable
steps:
  - id: long
    image: ${testServices.images.busybox}
    command: [sh, -c, 'echo started >> /sluice/outputs/starts; echo begin; sleep 4; echo end; echo done > /sluice/outputs/result']
    outputs: [starts, result]
`),
    );
    const first = await spawnWorkerProcess(env);
    const handle = await startRunWorkflow(h, input);
    const filters = { label: [`sluice.run=${input.runId}`] };
    const container = await waitFor(
      "the step's container to run",
      async () => (await docker.listContainers({ filters })).find((c) => c.State === 'running'),
      20_000,
    );
    expect(container.State).toBe('running');
    first.kill('SIGKILL');

    const second = await spawnWorkerProcess(env);
    try {
      const status = await handle.result();
      expect(status.state).toBe('succeeded');
      const step = status.steps[0]!;
      expect(step.attempt).toBe(2);
      expect(await readFile(new URL(step.outputs.starts!.uri).pathname, 'utf8')).toBe('started\n');
      expect(await readFile(new URL(step.outputs.result!.uri).pathname, 'utf8')).toBe('done\n');
      expect(await docker.listContainers({ all: true, filters })).toEqual([]);
      // The re-attached log continues where the stored one ended: no line twice.
      const log = await readFile(join(workDir, 'logs', 'steps', input.runId, 'long.jsonl'), 'utf8');
      const lines = log
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { line: string }).line)
        .filter((l) => !l.startsWith('[sluice] attempt'));
      expect(lines).toEqual(['begin', 'end']);
    } finally {
      second.kill('SIGTERM');
    }
  }, 180_000);
});
