import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { BatchV1Api } from '@kubernetes/client-node';
import { afterAll, describe, expect, it } from 'vitest';
import { KubernetesExecutor } from './kubernetes.js';
import { jobManifest } from './kubernetes-job.js';
import { DEFAULT_STEP_USER } from '../../core/policy/schema.js';
import { ensureStepDirs, stepDirs } from './step-env.js';
import { linesOf, newStep, readOutput, removeWorkDirs, spawnExecutorProcess } from '../../test/support/executors.js';
import { K8S_TEST_NAMESPACE, jobsOf, runGone, runningPod, workerKubeConfig } from '../../test/support/k8s.js';
import { waitFor } from '../../test/support/wait.js';
import type { StepRunRequest } from './types.js';

const kubeConfig = workerKubeConfig();
const newExecutor = () => new KubernetesExecutor({ kubeConfig });
const GONE_MS = 60_000;

/** The uid of the run's one Job: a second Job for the step would show as a different uid. */
async function jobUid(runId: string): Promise<string | undefined> {
  const jobs = await jobsOf(runId);
  if (jobs.length > 1) throw new Error(`run ${runId} has ${jobs.length} Jobs`);
  return jobs[0]?.metadata?.uid;
}

const jobFinished = (runId: string, type: 'Complete' | 'Failed') => async () =>
  (await jobsOf(runId)).some((j) => j.status?.conditions?.some((c) => c.type === type && c.status === 'True'));

/** SIGKILLs a worker process, leaving its Job behind like a crashed worker. */
async function crash(worker: ChildProcess): Promise<void> {
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGKILL');
  await exited;
}

/** Starts a separate worker process on req and waits until its pod runs. */
async function runningWorker(req: StepRunRequest): Promise<ChildProcess> {
  const worker = spawnExecutorProcess('kubernetes', req);
  let stderr = '';
  worker.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitFor('the worker to start the pod', () => runningPod(req.runId), 90_000);
  } catch (err) {
    worker.kill('SIGKILL');
    throw new Error(`${String(err)}; worker stderr: ${stderr}`, { cause: err });
  }
  return worker;
}

const STEP = 'echo started >> /sluice/outputs/starts; echo begin; sleep 4; echo result > /sluice/outputs/x; echo end';

afterAll(removeWorkDirs);

// A node process per crashed worker and a pod per step: minutes, not seconds, when the suite runs in parallel.
describe('KubernetesExecutor re-attach', { timeout: 180_000 }, () => {
  it('a second worker adopts the running Job instead of creating another one', async () => {
    const { req, logs: firstLogs } = await newStep({ command: ['sh', '-c', STEP] });
    const secondLogs: string[] = [];
    const first = newExecutor().run(req);
    await waitFor('the pod to run', () => runningPod(req.runId), GONE_MS);
    expect(await jobUid(req.runId)).toBeDefined(); // and only one (jobUid throws on two)

    const result = await newExecutor().run({ ...req, attempt: 2, onLog: (_s, line) => secondLogs.push(line) });
    expect(result).toMatchObject({ exitCode: 0, reattached: true, timedOut: false });
    expect(secondLogs).toEqual(['begin', 'end']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('result\n');
    expect(await first).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(firstLogs, 'stdout')).toEqual(['begin', 'end']);
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });

  it('after a worker is SIGKILLed mid-step, adopts the still running Job and collects its outputs', async () => {
    const { req, logs } = await newStep({ command: ['sh', '-c', STEP] });
    await crash(await runningWorker(req));
    const uid = await jobUid(req.runId);
    expect(uid).toBeDefined();

    const result = await newExecutor().run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: true });
    expect(linesOf(logs, 'stdout')).toEqual(['begin', 'end']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('result\n');
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });

  it('after a crash, takes the exit code and logs of a Job that completed meanwhile', async () => {
    const script = 'echo started >> /sluice/outputs/starts; sleep 2; echo done; echo r > /sluice/outputs/x';
    const { req, logs } = await newStep({ command: ['sh', '-c', script] });
    await crash(await runningWorker(req));
    await waitFor('the Job to complete', jobFinished(req.runId, 'Complete'), GONE_MS);

    const result = await newExecutor().run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: true, timedOut: false });
    expect(result.durationMs).toBeLessThan(5_000);
    expect(linesOf(logs, 'stdout')).toEqual(['done']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('r\n');
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });

  it('continues the log after the lines already stored, and keeps a finished Job until release', async () => {
    const script = 'echo started >> /sluice/outputs/starts; echo begin; sleep 6; echo end';
    const { req, logs } = await newStep({ command: ['sh', '-c', script] });
    await crash(await runningWorker(req));
    const uid = await jobUid(req.runId);
    const asked: number[] = [];
    const result = await newExecutor().run({
      ...req,
      attempt: 2,
      keepFinished: true,
      storedLines: async (createdBy) => {
        asked.push(createdBy);
        return { stdout: 1, stderr: 0 }; // the crashed worker stored "begin"
      },
    });
    expect(result).toMatchObject({ exitCode: 0, reattached: true });
    expect(asked).toEqual([1]);
    expect(linesOf(logs, 'stdout')).toEqual(['end']);
    // Kept (complete) until its outputs are stored; release() deletes it.
    expect(await jobUid(req.runId)).toBe(uid);
    await newExecutor().release(req.runId, req.stepId);
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
    expect(await readOutput(req, 'starts')).toBe('started\n');
  });

  it('deletes a leftover Job that failed and starts the step fresh', async () => {
    const script =
      'echo started >> /sluice/outputs/starts; [ -f /sluice/inputs/ok ] || { sleep 1; exit 5; }; echo fine';
    const { req, logs } = await newStep({ command: ['sh', '-c', script] });
    await crash(await runningWorker(req));
    await waitFor('the Job to fail', jobFinished(req.runId, 'Failed'), GONE_MS);
    const leftover = await jobUid(req.runId);
    await writeFile(path.join(req.workDir, 'inputs', 'ok'), '');

    const result = await newExecutor().run({ ...req, attempt: 2, keepFinished: true });
    expect(result).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(logs, 'stdout')).toEqual(['fine']);
    expect(await readOutput(req, 'starts')).toBe('started\n'); // outputs/ emptied for the fresh start
    const fresh = await jobUid(req.runId);
    expect(fresh).toBeDefined();
    expect(fresh).not.toBe(leftover);
    await newExecutor().release(req.runId, req.stepId);
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });

  it('deletes a Job that a crashed worker created but never resumed, then starts fresh', async () => {
    const { req, logs } = await newStep({ command: ['sh', '-c', 'echo fresh'] });
    await ensureStepDirs(req.workDir);
    const spec = jobManifest(req, stepDirs(req.workDir), {
      namespace: K8S_TEST_NAMESPACE,
      imagePullPolicy: 'IfNotPresent',
      user: DEFAULT_STEP_USER,
      graceSeconds: 2,
    });
    const batch = kubeConfig.makeApiClient(BatchV1Api);
    const abandoned = await batch.createNamespacedJob({ namespace: K8S_TEST_NAMESPACE, body: spec });

    const result = await newExecutor().run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(logs, 'stdout')).toEqual(['fresh']);
    expect(await jobUid(req.runId)).not.toBe(abandoned.metadata?.uid);
    await waitFor('the Job to go', () => runGone(req.runId), GONE_MS);
  });
});
