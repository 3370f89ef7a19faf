import { spawn, type ChildProcess } from 'node:child_process';
import Docker from 'dockerode';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dbTargets, openMigrated, type OpenedDb } from './db.js';
import { createHarness, planFrom, runInput, type Harness } from './harness.js';
import { testServices } from './services.js';

const workerMain = fileURLToPath(new URL('../workers/worker-main.ts', import.meta.url));
const docker = new Docker();

function startWorker(env: Record<string, string>): Promise<ChildProcess> {
  const proc = spawn(process.execPath, ['--import', 'tsx', workerMain], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    proc.stdout!.on('data', (b: Buffer) => { if (b.toString().includes('worker ready')) resolve(proc); });
    proc.once('exit', (code) => reject(new Error(`worker exited early with ${code}`)));
  });
}

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
    const schema = (await pg.db.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s')).executeTakeFirstOrThrow()).s;
    const env = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'), SLUICE_TASK_QUEUE: h.taskQueue, DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema, SLUICE_DATA_DIR: workDir, SLUICE_EXECUTOR: 'docker',
    };
    const input = runInput(planFrom(`
apiVersion: sluice/v1
name: durable
steps:
  - id: long
    image: ${testServices.images.busybox}
    command: [sh, -c, 'echo started >> /sluice/outputs/starts; sleep 4; echo done > /sluice/outputs/result']
    outputs: [starts, result]
`));
    const first = await startWorker(env);
    const handle = await h.client.workflow.start('runPipeline', { taskQueue: h.taskQueue, workflowId: `run-${input.runId}`, args: [input] });
    const filters = { label: [`sluice.run=${input.runId}`] };
    for (let i = 0; i < 200 && (await docker.listContainers({ filters })).length === 0; i++) await new Promise((r) => setTimeout(r, 100));
    const [container] = await docker.listContainers({ filters });
    expect(container?.State).toBe('running');
    first.kill('SIGKILL');

    const second = await startWorker(env);
    try {
      const status = await handle.result();
      expect(status.state).toBe('succeeded');
      const step = status.steps[0]!;
      expect(step.attempt).toBe(2);
      expect(await readFile(new URL(step.outputs.starts!.uri).pathname, 'utf8')).toBe('started\n');
      expect(await readFile(new URL(step.outputs.result!.uri).pathname, 'utf8')).toBe('done\n');
      expect(await docker.listContainers({ all: true, filters })).toEqual([]);
    } finally {
      second.kill('SIGTERM');
    }
  }, 90_000);
});
