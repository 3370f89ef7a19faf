import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BatchV1Api, CoreV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from './kubernetes.js';
import { ExecutorError } from './types.js';
import { linesOf, newStep, readOutput, removeWorkDirs } from '../../test/support/executors.js';
import {
  K8S_TEST_NAMESPACE,
  createSecret,
  deleteSecret,
  jobsOf,
  runGone,
  runningPod,
  workerKubeConfig,
} from '../../test/support/k8s.js';
import { uniqueId } from '../../test/support/services.js';
import { waitFor } from '../../test/support/wait.js';

// The worker's own ServiceAccount (deploy/k8s/worker-rbac.yaml), not the admin.
const kubeConfig = workerKubeConfig();
const executor = new KubernetesExecutor({ kubeConfig });
const sh = (script: string) => ({ command: ['sh', '-c', script] });
// A pod takes seconds to schedule and start on two loaded cores: generous, condition-based waits.
const GONE_MS = 60_000;
const secrets: string[] = [];

afterAll(async () => {
  await Promise.all(secrets.map(deleteSecret));
  await removeWorkDirs();
});

describe('KubernetesExecutor', { timeout: 120_000 }, () => {
  it('runs a Job: logs in order, outputs, metrics, SLUICE_* env, the image digest; deletes the Job', async () => {
    const { req, logs } = await newStep({
      ...sh(
        'echo out1; echo err1 >&2; echo out2; ' +
          'echo "{\\"acc\\": 0.93}" > /sluice/outputs/metrics.json; echo model > "$SLUICE_OUTPUTS_DIR/model.txt"; ' +
          'env | grep -E "^(SLUICE_|CUSTOM)" | sort; id -u; printf partial',
      ),
      env: { CUSTOM: 'yes', SLUICE_RUN_ID: 'overridden-by-executor' },
      params: { lr: 0.1, name: 'x y' },
    });
    await mkdir(path.join(req.workDir, 'outputs'));
    await writeFile(path.join(req.workDir, 'outputs', 'stale'), 'from an earlier attempt');
    const result = await executor.run(req);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, reattached: false });
    expect(result.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // The API merges the container's streams: every line arrives as stdout, each stream's in order
    // (the order across the two streams is the runtime's).
    const out = linesOf(logs, 'stdout');
    expect(out.slice(0, 3).filter((l) => l.startsWith('out'))).toEqual(['out1', 'out2']);
    expect(out.slice(0, 3)).toContain('err1');
    expect(out).toContain('CUSTOM=yes');
    expect(out).toContain(`SLUICE_RUN_ID=${req.runId}`);
    expect(out).toContain('SLUICE_PARAMS={"lr":0.1,"name":"x y"}');
    expect(out).toContain('SLUICE_INPUTS_DIR=/sluice/inputs');
    expect(out).toContain('65534'); // nobody, not root
    expect(out.at(-1)).toBe('partial');
    expect(JSON.parse(await readOutput(req, 'metrics.json'))).toEqual({ acc: 0.93 });
    expect(await readOutput(req, 'model.txt')).toBe('model\n');
    expect(existsSync(path.join(req.workDir, 'outputs', 'stale'))).toBe(false);
    await waitFor('the Job and its pod to go', () => runGone(req.runId), GONE_MS);
  });

  it('loses and duplicates no line when the container exits right after writing', async () => {
    const script = 'for i in 1 2 3 4 5 6 7 8; do echo o$i; done; printf tail';
    const steps = await Promise.all([1, 2, 3].map(() => newStep(sh(script))));
    await Promise.all(steps.map(({ req }) => executor.run(req)));
    for (const { logs } of steps) {
      expect(linesOf(logs, 'stdout')).toEqual(['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8', 'tail']);
    }
  });

  it('mounts inputs read-only', async () => {
    const { req, logs } = await newStep(
      sh('cat /sluice/inputs/data.txt; echo changed > /sluice/inputs/data.txt && echo wrote || echo write-failed'),
    );
    await writeFile(path.join(req.workDir, 'inputs', 'data.txt'), 'hello\n');
    expect((await executor.run(req)).exitCode).toBe(0);
    expect(linesOf(logs, 'stdout').filter((l) => !l.startsWith('sh:'))).toEqual(['hello', 'write-failed']);
    expect(await readFile(path.join(req.workDir, 'inputs', 'data.txt'), 'utf8')).toBe('hello\n');
  });

  it('mounts the code package read-only at /sluice/code, the working directory', async () => {
    const { req, logs } = await newStep(sh('pwd; sh ./train.sh; touch x 2>/dev/null && echo wrote || echo read-only'));
    const codeDir = path.join(req.workDir, 'code');
    await mkdir(codeDir);
    await writeFile(path.join(codeDir, 'train.sh'), 'echo "code says $SLUICE_CODE_DIR"\n');
    expect((await executor.run({ ...req, codeDir })).exitCode).toBe(0);
    expect(linesOf(logs, 'stdout')).toEqual(['/sluice/code', 'code says /sluice/code', 'read-only']);
  });

  it("reports a non-zero exit code and the step's termination message", async () => {
    const { req, logs } = await newStep(sh('echo "model diverged" > /dev/termination-log; exit 3'));
    expect(await executor.run(req)).toMatchObject({ exitCode: 3, timedOut: false });
    expect(linesOf(logs, 'stderr')).toEqual(['[sluice] pod ended: Error: model diverged']);
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });

  it("runs the image's default command when command and args are empty", async () => {
    const { req } = await newStep();
    expect((await executor.run(req)).exitCode).toBe(0);
  });

  it('kills the pod and deletes the Job on timeout', async () => {
    const { req } = await newStep({ ...sh('echo started; sleep 100'), timeoutMs: 4_000 });
    const result = await executor.run(req);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(result.durationMs).toBeLessThan(4_000 + 2_000 + 15_000);
    await waitFor('the Job and its pod to go', () => runGone(req.runId), GONE_MS);
  });

  it('kills the pod and deletes the Job on abort, and rejects with an AbortError', async () => {
    const controller = new AbortController();
    const { req } = await newStep({ ...sh('sleep 100'), signal: controller.signal });
    const running = executor.run(req);
    await waitFor('the pod to run', () => runningPod(req.runId), GONE_MS);
    const aborted = Date.now();
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - aborted).toBeLessThan(15_000);
    await waitFor('the Job and its pod to go', () => runGone(req.runId), GONE_MS);
  });

  it('fails fast with ImageNotFound for an image the node does not have', async () => {
    const { req } = await newStep({ image: 'sluice/not-here:1', ...sh('true') });
    const started = Date.now();
    const err = await executor.run(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).toMatchObject({ code: 'ImageNotFound', message: expect.stringContaining('"sluice/not-here:1"') });
    expect(Date.now() - started).toBeLessThan(15_000); // not the 30 s timeout: the first pull error
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
    const never = new KubernetesExecutor({ kubeConfig, imagePullPolicy: 'Never' });
    const { req: req2 } = await newStep({ image: 'sluice/not-here:1', ...sh('true') });
    await expect(never.run(req2)).rejects.toMatchObject({
      code: 'ImageNotFound',
      message: expect.stringContaining('ErrImageNeverPull'),
    });
  });

  it('maps a missing executable and exit code 127 to CommandNotFound', async () => {
    const { req } = await newStep({ command: ['no-such-binary'] });
    await expect(executor.run(req)).rejects.toMatchObject({
      code: 'CommandNotFound',
      message: expect.stringContaining('no-such-binary'),
    });
    const { req: viaShell } = await newStep(sh('no-such-binary'));
    await expect(executor.run(viaShell)).rejects.toMatchObject({
      code: 'CommandNotFound',
      message: expect.stringContaining('no-such-binary'),
    });
    await waitFor('the Jobs to go', async () => (await runGone(req.runId)) && runGone(viaShell.runId), GONE_MS);
  });

  it('sets cpu and memory requests and limits that the container is held to', async () => {
    const { req, logs } = await newStep({
      ...sh(
        'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ' +
          'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us',
      ),
      resources: { memoryMb: 64, cpu: 0.5 },
    });
    expect((await executor.run(req)).exitCode).toBe(0);
    const [memory, cpu] = linesOf(logs, 'stdout');
    expect(memory).toBe(String(64 * 1024 * 1024));
    expect(cpu?.split(' ')[0]).toBe('50000');
  });

  it('fails fast when no node can take the pod: Insufficient cpu, or a GPU the node lacks', async () => {
    const { req } = await newStep({ ...sh('true'), resources: { cpu: 64 } });
    const started = Date.now();
    await expect(executor.run(req)).rejects.toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringContaining('Insufficient cpu'),
    });
    expect(Date.now() - started).toBeLessThan(20_000);
    const { req: gpu } = await newStep({ ...sh('true'), resources: { gpus: 1 } });
    await expect(executor.run(gpu)).rejects.toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringContaining('nvidia.com/gpu'),
    });
    await waitFor('the Jobs to go', async () => (await runGone(req.runId)) && runGone(gpu.runId), GONE_MS);
  });

  it('passes Secrets by reference: the pod sees the value, the worker may not read it', async () => {
    const name = uniqueId('secret');
    secrets.push(name);
    await createSecret(name, { token: 's3cr3t-value' });
    const { req, logs } = await newStep({
      ...sh('echo "token=$API_TOKEN"'),
      secrets: [{ env: 'API_TOKEN', secret: name, key: 'token' }],
    });
    expect((await executor.run(req)).exitCode).toBe(0);
    expect(linesOf(logs, 'stdout')).toEqual(['token=s3cr3t-value']);
    const core = kubeConfig.makeApiClient(CoreV1Api);
    await expect(core.readNamespacedSecret({ name, namespace: K8S_TEST_NAMESPACE })).rejects.toMatchObject({
      code: 403,
    });
    // A Secret that does not exist fails the step at once, naming it.
    const { req: missing } = await newStep({
      ...sh('true'),
      secrets: [{ env: 'X', secret: 'no-such-secret', key: 'k' }],
    });
    await expect(executor.run(missing)).rejects.toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringContaining('no-such-secret'),
    });
  });

  it("the worker's ServiceAccount has rights on Jobs and pods in its namespace, nothing else", async () => {
    const core = kubeConfig.makeApiClient(CoreV1Api);
    const batch = kubeConfig.makeApiClient(BatchV1Api);
    expect((await batch.listNamespacedJob({ namespace: K8S_TEST_NAMESPACE })).items).toBeInstanceOf(Array);
    await expect(core.listNamespacedSecret({ namespace: K8S_TEST_NAMESPACE })).rejects.toMatchObject({ code: 403 });
    await expect(core.listNode()).rejects.toMatchObject({ code: 403 });
    await expect(batch.listNamespacedJob({ namespace: 'default' })).rejects.toMatchObject({ code: 403 });
    const elsewhere = new KubernetesExecutor({ kubeConfig, namespace: 'default' });
    const { req } = await newStep(sh('true'));
    await expect(elsewhere.run(req)).rejects.toMatchObject({
      code: 'EngineUnavailable',
      message: expect.stringContaining('forbidden'),
    });
  });

  it('uses the pod network by default and the node network when the step asks for host', async () => {
    const script = 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " " | sort';
    const { req, logs } = await newStep(sh(script));
    await executor.run(req);
    expect(linesOf(logs, 'stdout')).toEqual(['eth0', 'lo']);
    const { req: hostReq, logs: hostLogs } = await newStep({ ...sh(script), network: 'host' });
    await executor.run(hostReq);
    expect(linesOf(hostLogs, 'stdout').length).toBeGreaterThan(2);
    expect((await jobsOf(hostReq.runId)).length).toBeLessThanOrEqual(1);
  });
});
