import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { freePort } from '../core/temporal/dev-server.js';
import { createApi } from './support/api.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';
import { planFrom, runInput, startRunWorkflow } from './support/workflow-runs.js';

// A worker started with SLUICE_WORKER_METRICS_ADDRESS serves Prometheus metrics: the Temporal SDK's own
// (queue lag as schedule-to-start latency) and Sluice's step durations per pipeline, step and executor.

describe('worker metrics and the Grafana dashboard', () => {
  let h: Harness;
  let pg: OpenedDb;
  let dir: string;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
    dir = await mkdtemp(join(tmpdir(), 'sluice-worker-metrics-'));
    await chmod(dir, 0o755); // process steps run as an unprivileged user, who must reach their work dir
  }, 120_000);

  afterAll(async () => {
    worker?.kill('SIGTERM');
    await h?.close();
    await pg?.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('exports step durations with their labels and the SDK series, queue lag included', async () => {
    const schema = await currentSchema(pg.db);
    const port = await freePort();
    worker = await spawnWorkerProcess({
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_DATA_DIR: dir,
      SLUICE_EXECUTOR: 'process',
      SLUICE_POLICY_EXECUTORS: 'docker,process',
      SLUICE_WORKER_METRICS_ADDRESS: `127.0.0.1:${port}`,
    });
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: metered
steps:
  - { id: ok, image: none, executor: process, command: [sh, -c, 'echo fine'] }
  - { id: broken, image: none, executor: process, command: [sh, -c, 'exit 3'], dependsOn: [ok] }
`),
    );
    const handle = await startRunWorkflow(h, input);
    // The second step fails the run (a workflow failure naming it); both steps ran.
    await expect(handle.result()).rejects.toThrow(/Workflow execution failed/);
    const described = await handle.describe();
    expect(described.status.name).toBe('FAILED');

    const scrape = () =>
      fetch(`http://127.0.0.1:${port}/metrics`).then(
        (r) => r.text(),
        () => '',
      );
    const text = await waitFor(
      'both steps in the worker metrics',
      async () => {
        const t = await scrape();
        return t.includes('step="broken"') && t.includes('step="ok"') ? t : undefined;
      },
      30_000,
    );
    const series = (name: string, labels: Record<string, string>) =>
      text
        .split('\n')
        .filter((l) => l.startsWith(`${name}{`) && Object.entries(labels).every(([k, v]) => l.includes(`${k}="${v}"`)));
    const okCount = series('sluice_step_duration_seconds_count', {
      pipeline: 'metered',
      step: 'ok',
      executor: 'process',
      outcome: 'succeeded',
    });
    expect(okCount, text).toHaveLength(1);
    expect(Number(okCount[0]!.split(' ').pop())).toBe(1);
    expect(
      series('sluice_step_duration_seconds_count', { pipeline: 'metered', step: 'broken', outcome: 'failed' }),
    ).toHaveLength(1);
    expect(series('sluice_step_duration_seconds_bucket', { step: 'ok' }).length).toBeGreaterThan(3);
    // The Grafana dashboard asks only for series that Sluice exports: the worker's (above) or the API's.
    const api = await createApi(h);
    const apiText = (await api.call('viewer', { method: 'GET', url: '/metrics' })).body;
    const exported = new Set(
      [...`${text}\n${apiText}`.matchAll(/^(?:# TYPE )?([a-z_][a-z0-9_]*)/gm)].map((m) => m[1]!),
    );
    for (const name of [...exported]) for (const suffix of ['_bucket', '_count', '_sum']) exported.add(name + suffix);
    const dashboard = JSON.parse(
      await readFile(new URL('../deploy/grafana/sluice-dashboard.json', import.meta.url), 'utf8'),
    ) as {
      panels: Array<{ title: string; targets: Array<{ expr: string }> }>;
    };
    const asked = dashboard.panels.flatMap((p) =>
      p.targets.flatMap((t) =>
        [...t.expr.matchAll(/\b((?:sluice|temporal)_[a-z0-9_]+)/g)].map((m) => ({ panel: p.title, name: m[1]! })),
      ),
    );
    expect(asked.length).toBeGreaterThan(10);
    expect(asked.filter((a) => !exported.has(a.name))).toEqual([]);

    // Queue lag: how long tasks waited on the queue before a worker took them.
    expect(text).toMatch(/^temporal_activity_schedule_to_start_latency_seconds_bucket\{/m);
    expect(text).toMatch(/^temporal_workflow_task_schedule_to_start_latency_seconds_bucket\{/m);
  }, 180_000);
});
