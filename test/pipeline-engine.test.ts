import Docker from 'dockerode';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { getRunSteps } from '../core/runs/projection.js';
import { statusQuery } from '../workflows/runPipeline.js';
import { msUntilContainersRemoved } from './support/cancel-timing.js';
import { useHarness } from './support/harness.js';
import { planFrom, runInput, runToEnd, startRunWorkflow } from './support/workflow-runs.js';
import { testServices } from './support/services.js';
import { waitFor } from './support/wait.js';

const docker = new Docker();
const BUSYBOX = testServices.images.busybox;

async function containersOf(runId: string) {
  return docker.listContainers({ all: true, filters: { label: [`sluice.run=${runId}`] } });
}

describe('the pipeline engine on real dockerd and a real dev server', () => {
  const h = useHarness({ defaultExecutor: 'docker', worker: true });

  it('runs parallel branches at the same time and skips a false branch with its downstream', async () => {
    const plan = planFrom(`
apiVersion: sluice/v1
name: branches
params:
  deploy: { type: boolean, default: false }
steps:
  - id: left
    image: ${BUSYBOX}
    command: [sh, -c, 'sleep 1; echo "{\\"accuracy\\": 0.95}" > /sluice/outputs/metrics.json']
    outputs: [metrics.json]
  - id: right
    image: ${BUSYBOX}
    command: [sh, -c, 'sleep 1']
  - id: gate
    image: ${BUSYBOX}
    command: [sh, -c, 'echo deploying']
    when: "steps.left.metrics.accuracy >= 0.9 && params.deploy"
  - id: after-gate
    image: ${BUSYBOX}
    command: [sh, -c, 'echo after']
    dependsOn: [gate]
  - id: good-enough
    image: ${BUSYBOX}
    command: [sh, -c, 'echo good']
    when: "steps.left.metrics.accuracy >= 0.9"
`);
    const { status, error } = await runToEnd(h, runInput(plan));
    expect(error).toBeUndefined();
    const by = Object.fromEntries(status!.steps.map((s) => [s.id, s]));
    expect(by.left!.state).toBe('succeeded');
    expect(by.left!.metrics).toEqual({ accuracy: 0.95 });
    expect(by.gate!.state).toBe('skipped');
    expect(by['after-gate']!.state).toBe('skipped');
    expect(by['good-enough']!.state).toBe('succeeded');
    // Both 1 s branches overlapped in time.
    const [l, r] = [by.left!, by.right!];
    expect(Date.parse(l.startedAt!)).toBeLessThan(Date.parse(r.finishedAt!));
    expect(Date.parse(r.startedAt!)).toBeLessThan(Date.parse(l.finishedAt!));
  });

  it('retries a failing step until it succeeds', async () => {
    const marker = join(await mkdtemp(join(tmpdir(), 'retry-')), 'attempts');
    const plan = planFrom(`
apiVersion: sluice/v1
name: flaky
steps:
  - id: flaky
    image: none
    executor: process
    command: [sh, -c, 'echo x >> ${marker}; [ "$(wc -l < ${marker})" -ge 2 ]']
    retries: { attempts: 3, backoff: 100ms }
`);
    const { status, error } = await runToEnd(h, runInput(plan));
    expect(error).toBeUndefined();
    expect(status!.steps[0]).toMatchObject({ state: 'succeeded', attempt: 2 });
    expect((await readFile(marker, 'utf8')).trim().split('\n')).toHaveLength(2);
  });

  it('fails the run naming the step, and kills a container that passes its timeout', async () => {
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: slow
steps:
  - id: sleepy
    image: ${BUSYBOX}
    command: [sleep, '60']
    timeout: 2s
`),
    );
    const t0 = Date.now();
    const { error } = await runToEnd(h, input);
    expect(error?.cause?.message).toMatch(/step sleepy failed: timed out after 2000 ms/);
    expect(Date.now() - t0).toBeLessThan(20_000);
    expect(await containersOf(input.runId)).toEqual([]);
    const [row] = await getRunSteps(h.db, input.runId);
    expect(row).toMatchObject({ status: 'failed' });
  });

  it('fails at once, without retrying, on a missing image', async () => {
    const { status, error } = await runToEnd(
      h,
      runInput(
        planFrom(`
apiVersion: sluice/v1
name: noimage
steps:
  - id: x
    image: sluice/does-not-exist:1
    retries: { attempts: 5 }
`),
      ),
    );
    expect(status).toBeUndefined();
    expect(error?.cause?.message).toMatch(
      /step x failed: image "sluice\/does-not-exist:1" is not on this Docker engine/,
    );
  });

  it('cancelling a run kills and removes its running containers', async () => {
    const input = runInput(
      planFrom(`
apiVersion: sluice/v1
name: cancelme
steps:
  - id: a
    image: ${BUSYBOX}
    command: [sleep, '120']
  - id: b
    image: ${BUSYBOX}
    command: [sleep, '120']
`),
    );
    const handle = await startRunWorkflow(h, input);
    await waitFor(
      'two running containers',
      async () => (await containersOf(input.runId)).filter((c) => c.State === 'running').length === 2,
      20_000,
    );
    const cancelledAt = Date.now();
    await handle.cancel();
    // Target 5 s (heartbeats every second, a 1 s stop grace); the bound is generous for a loaded machine.
    const removedMs = await msUntilContainersRemoved(docker, input.runId, cancelledAt);
    console.log(`cancel to containers removed: ${removedMs} ms`);
    expect(removedMs).toBeLessThan(15_000);
    await expect(handle.result()).rejects.toThrow();
    expect(await containersOf(input.runId)).toEqual([]);
    const status = await handle.query(statusQuery);
    expect(status.state).toBe('cancelled');
    expect(status.steps.map((s) => s.state)).toEqual(['cancelled', 'cancelled']);
  });

  it('answers a second identical run from the cache, and not when caching is off', async () => {
    const yaml = `
apiVersion: sluice/v1
name: cached
params:
  n: { type: integer, default: 3 }
steps:
  - id: produce
    image: ${BUSYBOX}
    command: [sh, -c, 'cat /proc/sys/kernel/random/uuid > /sluice/outputs/stamp']
    outputs: [stamp]
`;
    const first = await runToEnd(h, runInput(planFrom(yaml)));
    const second = await runToEnd(h, runInput(planFrom(yaml)));
    const firstStep = first.status!.steps[0]!;
    const secondStep = second.status!.steps[0]!;
    expect(firstStep.state).toBe('succeeded');
    expect(secondStep).toMatchObject({ state: 'cached', cacheHit: true, cachedFromRun: first.status!.runId });
    expect(secondStep.outputs.stamp!.sha256).toBe(firstStep.outputs.stamp!.sha256);

    const otherParams = await runToEnd(h, runInput(planFrom(yaml, { n: 4 })));
    expect(otherParams.status!.steps[0]!.state).toBe('succeeded');
    const noCache = await runToEnd(h, runInput(planFrom(yaml, {}, { cache: false })));
    expect(noCache.status!.steps[0]!.state).toBe('succeeded');
    expect(noCache.status!.steps[0]!.outputs.stamp!.sha256).not.toBe(firstStep.outputs.stamp!.sha256);
  });
});
