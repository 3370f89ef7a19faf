import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerExecutor } from './docker.js';
import { containerSpec } from './docker-create.js';
import { ensureStepDirs, stepDirs } from './step-env.js';
import { linesOf, newStep, readOutput, removeWorkDirs, spawnExecutorProcess } from '../../test/support/executors.js';
import { waitFor } from '../../test/support/wait.js';
import type { StepRunRequest } from './types.js';

const docker = new Docker();
const containersOf = (runId: string) =>
  docker.listContainers({ all: true, filters: { label: [`sluice.run=${runId}`] } });
const withState = (runId: string, state: string) => async () =>
  (await containersOf(runId)).find((c) => c.State === state);

/** Counts container "create" events for a run between two instants (seconds). */
async function creates(runId: string, since: number): Promise<number> {
  const events = (await docker.getEvents({
    since,
    until: Math.ceil(Date.now() / 1000) + 1,
    filters: { type: ['container'], event: ['create'], label: [`sluice.run=${runId}`] },
  })) as NodeJS.ReadableStream;
  let text = '';
  for await (const chunk of events) text += chunk.toString();
  return text.split('\n').filter((l) => l.trim() !== '').length;
}

/** SIGKILLs a worker process, leaving its container behind like a crashed worker. */
async function crash(worker: ChildProcess): Promise<void> {
  const exited = new Promise((r) => worker.once('exit', r));
  worker.kill('SIGKILL');
  await exited;
}

const STEP = 'echo started >> /sluice/outputs/starts; echo begin; sleep 3; echo result > /sluice/outputs/x; echo end';

afterAll(removeWorkDirs);

describe('DockerExecutor re-attach', () => {
  it('a second worker adopts the running container instead of starting another one', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const { req, logs: firstLogs } = await newStep({ command: ['sh', '-c', STEP] });
    const secondLogs: string[] = [];
    const second: StepRunRequest = { ...req, attempt: 2, onLog: (_s, line) => secondLogs.push(line) };
    const first = new DockerExecutor({ docker }).run(req);
    await waitFor('the container to run', withState(req.runId, 'running'));

    const result = await new DockerExecutor({ docker }).run(second);
    expect(result).toMatchObject({ exitCode: 0, reattached: true, timedOut: false });
    expect(result.imageDigest).toMatch(/^sha256:/);
    expect(secondLogs).toEqual(['begin', 'end']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('result\n');
    expect(await first).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(firstLogs, 'stdout')).toEqual(['begin', 'end']);
    expect(await creates(req.runId, since)).toBe(1);
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('after a worker crash, adopts the still running container and collects its outputs', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const { req, logs } = await newStep({ command: ['sh', '-c', STEP] });
    await crash(await runningWorker(req));

    const result = await new DockerExecutor({ docker }).run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: true });
    expect(linesOf(logs, 'stdout')).toEqual(['begin', 'end']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('result\n');
    expect(await creates(req.runId, since)).toBe(1);
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('after a worker crash, takes the exit code and logs of a container that finished meanwhile', async () => {
    const script = 'echo started >> /sluice/outputs/starts; sleep 2; echo done; echo r > /sluice/outputs/x';
    const { req, logs } = await newStep({ command: ['sh', '-c', script] });
    await crash(await runningWorker(req));
    await waitFor('the container to exit', withState(req.runId, 'exited'));

    const result = await new DockerExecutor({ docker }).run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: true, timedOut: false });
    expect(result.durationMs).toBeLessThan(1_500);
    expect(linesOf(logs, 'stdout')).toEqual(['done']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    expect(await readOutput(req, 'x')).toBe('r\n');
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('continues the log after the lines already stored, and keeps a finished container until release', async () => {
    const since = Math.floor(Date.now() / 1000) - 1;
    const script = 'echo started >> /sluice/outputs/starts; echo begin; sleep 6; echo end';
    const { req, logs } = await newStep({ command: ['sh', '-c', script] });
    await crash(await runningWorker(req));
    const asked: number[] = [];
    const result = await new DockerExecutor({ docker }).run({
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
    // Kept (exited) until its outputs are stored; release() removes it.
    expect((await containersOf(req.runId)).map((c) => c.State)).toEqual(['exited']);
    await new DockerExecutor({ docker }).release(req.runId, req.stepId);
    expect(await containersOf(req.runId)).toEqual([]);
    expect(await creates(req.runId, since)).toBe(1);
  });

  it('removes a leftover container that failed and starts the step fresh', async () => {
    const script =
      'echo started >> /sluice/outputs/starts; [ -f /sluice/inputs/ok ] || { sleep 1; exit 5; }; echo fine';
    const { req, logs } = await newStep({ command: ['sh', '-c', script] });
    await crash(await runningWorker(req));
    const leftover = await waitFor('the container to exit', withState(req.runId, 'exited'));
    await writeFile(path.join(req.workDir, 'inputs', 'ok'), '');

    const result = await new DockerExecutor({ docker }).run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(logs, 'stdout')).toEqual(['fine']);
    expect(await readOutput(req, 'starts')).toBe('started\n');
    await expect(docker.getContainer(leftover.Id).inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('removes a container that a crashed worker created but never started, then starts fresh', async () => {
    const { req, logs } = await newStep({ command: ['sh', '-c', 'echo fresh'] });
    const imageId = await new DockerExecutor({ docker }).resolveImage(req.image);
    const dirs = stepDirs(req.workDir);
    await ensureStepDirs(req.workDir);
    const abandoned = await docker.createContainer(containerSpec(req, imageId, dirs, 'none'));

    const result = await new DockerExecutor({ docker }).run({ ...req, attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(logs, 'stdout')).toEqual(['fresh']);
    await expect(abandoned.inspect()).rejects.toMatchObject({ statusCode: 404 });
    expect(await containersOf(req.runId)).toEqual([]);
  });
});

/** Starts a separate worker process on req and waits until its container runs. */
async function runningWorker(req: StepRunRequest): Promise<ChildProcess> {
  const worker = spawnExecutorProcess('docker', req);
  let stderr = '';
  worker.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  try {
    await waitFor('the worker to start the container', withState(req.runId, 'running'), 60_000);
  } catch (err) {
    worker.kill('SIGKILL');
    throw new Error(`${String(err)}; worker stderr: ${stderr}`, { cause: err });
  }
  return worker;
}
