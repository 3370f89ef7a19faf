import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { jobsOf, runGone, runningPod, workerKubeconfigPath } from './support/k8s.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { planFrom, runInput, startRunWorkflow } from './support/workflow-runs.js';

describe('durability on Kubernetes: a worker killed mid-step', () => {
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

  it('re-attaches to the still-running Job: the step ran once, its log has no line twice, the run completes', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'sluice-k8s-durable-'));
    const schema = await currentSchema(pg.db);
    // A split worker, as production runs it: Jobs with the sluice-worker ServiceAccount.
    const env = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: dataDir,
      SLUICE_EXECUTOR: 'kubernetes',
      SLUICE_K8S_KUBECONFIG: workerKubeconfigPath,
    };
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: durable-k8s
steps:
  - id: long
    image: ${testServices.images.busybox}
    command: [sh, -c, 'echo started >> /sluice/outputs/starts; echo begin; sleep 6; echo end; echo done > /sluice/outputs/result']
    outputs: [starts, result]
`),
    );
    const first = await spawnWorkerProcess(env);
    const handle = await startRunWorkflow(h, input);
    await waitFor("the step's pod to run", () => runningPod(input.runId), 60_000);
    const [job] = await jobsOf(input.runId);
    first.kill('SIGKILL');
    // Seen by a watcher of its own: the uid of the step's Job until the run ends. One uid: adopted, not replaced.
    const uids = new Set([job!.metadata!.uid!]);
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        for (const j of await jobsOf(input.runId)) uids.add(j.metadata!.uid!);
        await new Promise((r) => setTimeout(r, 200));
      }
    })();

    const second = await spawnWorkerProcess(env);
    try {
      const status = await handle.result();
      watching = false;
      await watcher;
      expect(status.state).toBe('succeeded');
      expect(uids.size).toBe(1);
      const step = status.steps[0]!;
      expect(step.attempt).toBe(2);
      expect(await readFile(new URL(step.outputs.starts!.uri).pathname, 'utf8')).toBe('started\n');
      expect(await readFile(new URL(step.outputs.result!.uri).pathname, 'utf8')).toBe('done\n');
      await waitFor('the Job to go', () => runGone(input.runId), 60_000);
      const log = await readFile(join(dataDir, 'logs', 'steps', input.runId, 'long.jsonl'), 'utf8');
      const lines = log
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as { line: string }).line)
        .filter((l) => !l.startsWith('[sluice] attempt'));
      expect(lines).toEqual(['begin', 'end']);
    } finally {
      watching = false;
      second.kill('SIGTERM');
    }
  }, 240_000);
});
