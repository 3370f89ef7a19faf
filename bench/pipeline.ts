// `npm run bench -- pipeline [sequential|concurrent|cancel|kubernetes|kubernetes-store]…`: orchestration overhead per step
// (process and docker executors; kubernetes Jobs on the local cluster with `kubernetes`, and with
// SLUICE_K8S_TRANSFER=store through the test MinIO with `kubernetes-store`), 200 concurrent 3-step pipelines, and the time from a cancel
// request to the step container's removal. Real dev server, real Postgres, the real worker process.
// With no case named, all run.
import { Client, Connection, type WorkflowHandle } from '@temporalio/client';
import Docker from 'dockerode';
import proto from '@temporalio/proto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { parsePipelineSpec, type Plan } from '../core/pipeline/index.js';
import { planRun } from '../core/pipeline/plan-run.js';
import { resolveTemporalBinary } from '../core/temporal/binary.js';
import { startDevServer } from '../core/temporal/dev-server.js';
import type { RunProgress } from '../core/runs/contract.js';
import { workflowIdFor } from '../core/runs/ids.js';
import { msUntilContainersRemoved } from '../test/support/cancel-timing.js';
import { S3ArtifactStore } from '../core/artifacts/s3.js';
import { testS3Client, testServices } from '../test/support/services.js';
import { workerKubeconfigPath } from '../test/support/k8s.js';
import { spawnWorkerProcess } from '../test/support/worker-process.js';

const EventType = proto.temporal.api.enums.v1.EventType;

const POSTGRES_URL = testServices.postgresUrl;
const cores = cpus().length;
const emit = (o: Record<string, unknown>) => process.stdout.write(`${JSON.stringify({ ...o, cores })}\n`);

function plan(yaml: string): Plan {
  const parsed = parsePipelineSpec(yaml);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
  return planRun({ spec: parsed.spec, version: 1 }, {}, { cache: false }).plan;
}

type BenchExecutor = 'process' | 'docker' | 'kubernetes' | 'kubernetes-store';

function sequential(n: number, executor: BenchExecutor): Plan {
  // Store mode: the pods reach MinIO on the host's loopback only through the node's network.
  const store = executor === 'kubernetes-store';
  const steps = Array.from(
    { length: n },
    (_, i) => `
  - id: s${i}
    image: ${executor === 'process' ? 'none' : testServices.images.busybox}
    executor: ${store ? 'kubernetes' : executor}${store ? '\n    network: host' : ''}
    command: ['true']${i ? `\n    dependsOn: [s${i - 1}]` : ''}`,
  ).join('');
  return plan(`apiVersion: sluice/v1\nname: seq-${executor}\nsettings: { parallelism: 1 }\nsteps:${steps}\n`);
}

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
};

async function peakRssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

/**
 * Time workflow tasks sat in Temporal's queue (WorkflowTaskScheduled → WorkflowTaskStarted),
 * one per step: latency of the server and SDK that no step can go below.
 */
async function workflowTaskWaits(handle: WorkflowHandle): Promise<number[]> {
  const waits: number[] = [];
  let scheduledAt: number | undefined;
  for (const e of (await handle.fetchHistory()).events ?? []) {
    const at = Number(e.eventTime!.seconds) * 1000 + Math.round((e.eventTime!.nanos ?? 0) / 1e6);
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) scheduledAt = at;
    if (e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED && scheduledAt !== undefined)
      waits.push(at - scheduledAt);
  }
  return waits;
}

const CANCEL_ITERATIONS = 5;

export default async function run(args: string[] = []): Promise<void> {
  const wanted = (name: string) => args.length === 0 || args.includes(name);
  const binary = await resolveTemporalBinary({ progress: () => {} });
  const dev = await startDevServer({ binary, headless: true, detached: false });
  const schema = `bench_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const db = await openDb({ databaseUrl: POSTGRES_URL, schema });
  await migrateToLatest(db);
  await db.destroy();
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const connection = await Connection.connect({ address: dev.address });
  const client = new Client({ connection });
  let n = 0;
  const worker = (taskQueue: string, extra: Record<string, string> = {}) =>
    spawnWorkerProcess({
      SLUICE_TEMPORAL_ADDRESS: dev.address,
      SLUICE_TASK_QUEUE: taskQueue,
      DATABASE_URL: POSTGRES_URL,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: dataDir,
      SLUICE_EXECUTOR: 'auto',
      // The bench's steps are local processes, which a split worker allows only when configured.
      SLUICE_POLICY_EXECUTORS: 'docker,process',
      SLUICE_POLICY_ALLOW_ROOT: 'true',
      SLUICE_WORKER_CONCURRENCY: '100',
      ...extra,
    });
  const start = (taskQueue: string, p: Plan) => {
    const runId = `bench-${++n}-${Date.now().toString(36)}`;
    return client.workflow.start('runPipeline', {
      taskQueue,
      workflowId: workflowIdFor(runId),
      args: [{ runId, plan: p, trigger: 'bench' }],
    });
  };
  try {
    const executors: BenchExecutor[] = [
      ...(wanted('sequential') ? (['process', 'docker'] as const) : []),
      // Only when named: it needs the local cluster of scripts/k8s-up.sh.
      ...(args.includes('kubernetes') ? (['kubernetes'] as const) : []),
      ...(args.includes('kubernetes-store') ? (['kubernetes-store'] as const) : []),
    ];
    for (const executor of executors) {
      const tq = `bench-seq-${executor}-${Date.now()}`;
      const k8s = { SLUICE_K8S_KUBECONFIG: workerKubeconfigPath, SLUICE_POLICY_EXECUTORS: 'docker,process,kubernetes' };
      const w = await worker(
        tq,
        executor === 'kubernetes'
          ? k8s
          : executor === 'kubernetes-store'
            ? { ...k8s, ...(await storeTransferEnv()) }
            : {},
      );
      await (await start(tq, sequential(3, executor))).result(); // warm-up
      const p = sequential(20, executor);
      const t0 = performance.now();
      const handle = await start(tq, p);
      const status: RunProgress = await handle.result();
      const waits = await workflowTaskWaits(handle);
      const totalMs = performance.now() - t0;
      // A step's own command time: for a process, spawn to exit as the executor timed it. For
      // docker and kubernetes it counts as zero: the no-op runs for no measurable time inside its
      // container, and creating, starting and removing the container (the Job, its pod) is orchestration.
      const own = status.steps.map((s) => (executor === 'process' ? (s.runMs ?? 0) : 0));
      const ends = status.steps.map((s) => Date.parse(s.finishedAt!));
      const gaps = ends.map((e, i) => (i === 0 ? e - Date.parse(status.steps[0]!.startedAt!) : e - ends[i - 1]!));
      const per = gaps.map((g, i) => g - own[i]!);
      emit({
        case: `sequential-20-${executor}`,
        totalMs: Math.round(totalMs),
        stepGapP50Ms: quantile(gaps, 0.5),
        ownCommandP50Ms: quantile(own, 0.5),
        overheadP50Ms: Math.round(quantile(per, 0.5)),
        overheadP95Ms: Math.round(quantile(per, 0.95)),
        workflowTaskWaitP50Ms: quantile(waits, 0.5),
      });
      w.kill('SIGTERM');
    }

    if (wanted('concurrent')) await concurrent(start, worker);
    if (wanted('cancel')) await cancel(start, worker);
  } finally {
    await connection.close();
    await dev.stop();
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** A worker with SLUICE_K8S_TRANSFER=store on a fresh bucket of the test MinIO. */
async function storeTransferEnv(): Promise<Record<string, string>> {
  const { s3 } = testServices;
  const bucket = `bench-xfer-${Date.now().toString(36)}`;
  await new S3ArtifactStore({ client: testS3Client(), bucket }).ensureBucket();
  return {
    SLUICE_K8S_TRANSFER: 'store',
    SLUICE_S3_BUCKET: bucket,
    SLUICE_S3_ENDPOINT: s3.endpoint,
    SLUICE_S3_REGION: s3.region,
    SLUICE_S3_ACCESS_KEY_ID: s3.accessKeyId,
    SLUICE_S3_SECRET_ACCESS_KEY: s3.secretAccessKey,
    SLUICE_POLICY_HOST_NETWORK: 'true',
  };
}

type Start = (taskQueue: string, p: Plan) => Promise<WorkflowHandle>;
type SpawnWorker = (taskQueue: string) => ReturnType<typeof spawnWorkerProcess>;

async function concurrent(start: Start, worker: SpawnWorker): Promise<void> {
  const tq = `bench-concurrent-${Date.now()}`;
  const w = await worker(tq);
  const three = plan(`apiVersion: sluice/v1
name: three
steps:
  - { id: a, image: none, executor: process, command: ['true'] }
  - { id: b, image: none, executor: process, command: ['true'], dependsOn: [a] }
  - { id: c, image: none, executor: process, command: ['true'], dependsOn: [b] }
`);
  const t0 = performance.now();
  const handles = await Promise.all(Array.from({ length: 200 }, () => start(tq, three)));
  const results = await Promise.allSettled(handles.map((h) => h.result()));
  const ms = performance.now() - t0;
  const ok = results.filter((r) => r.status === 'fulfilled').length;
  emit({
    case: 'concurrent-200x3-process',
    runs: 200,
    succeeded: ok,
    totalMs: Math.round(ms),
    workerPeakRssMb: Math.round(await peakRssMb(w.pid!)),
  });
  w.kill('SIGTERM');
}

/** A docker step sleeping (PID 1 ignores SIGTERM, so the whole grace is spent) is cancelled once running. */
async function cancel(start: Start, worker: SpawnWorker): Promise<void> {
  const docker = new Docker();
  const tq = `bench-cancel-${Date.now()}`;
  const w = await worker(tq);
  const sleeper = plan(`apiVersion: sluice/v1
name: cancel
steps:
  - { id: s, image: ${testServices.images.busybox}, executor: docker, command: [sleep, '300'] }
`);
  const times: number[] = [];
  for (let i = 0; i < CANCEL_ITERATIONS; i++) {
    const handle = await start(tq, sleeper);
    const runId = handle.workflowId.slice(workflowIdFor('').length);
    for (;;) {
      const running = await docker.listContainers({ filters: { label: [`sluice.run=${runId}`] } });
      if (running.some((c) => c.State === 'running')) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const t0 = Date.now();
    await handle.cancel();
    times.push(await msUntilContainersRemoved(docker, runId, t0));
    await handle.result().catch(() => undefined);
  }
  emit({
    case: 'cancel-to-container-removed-docker',
    iterations: times.length,
    p50Ms: quantile(times, 0.5),
    maxMs: Math.max(...times),
  });
  w.kill('SIGTERM');
}
