import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessExecutor } from './process.js';
import { signalGroup } from './process-group.js';
import {
  isRunning,
  linesOf,
  newStep,
  readOutput,
  removeWorkDirs,
  spawnExecutorProcess,
} from '../../test/support/executors.js';
import { waitFor } from '../../test/support/wait.js';
import { ExecutorError, type StepRunRequest } from './types.js';

const executor = new ProcessExecutor();
const sh = (script: string) => ({ command: ['sh', '-c', script] });
const pidsIn = async (file: string) => (await readFile(file, 'utf8')).trim().split('\n').map(Number);
/** The first `count` pids a step wrote to outputs/pids, once it wrote them all (whole lines). */
const writtenPids = (req: StepRunRequest, count = 1) =>
  waitFor(`the step to write ${count} pid(s)`, async () => {
    const text = await readFile(path.join(req.workDir, 'outputs', 'pids'), 'utf8').catch(() => '');
    const pids = text.split('\n').slice(0, -1).map(Number);
    return pids.length >= count ? pids : undefined;
  });

afterAll(removeWorkDirs);

describe('ProcessExecutor', () => {
  it('runs a command: logs per stream in order, outputs, metrics, env, cwd', async () => {
    const workerEnv = { ...process.env, SLUICE_TEST_WORKER_SECRET: 'do-not-leak' };
    const { req, logs } = await newStep({
      command: ['sh', '-c'],
      args: [
        'echo out1; echo err1 >&2; echo out2; echo err2 >&2; pwd; cat "$SLUICE_INPUTS_DIR/data.txt"; ' +
          'echo "{\\"loss\\": 0.5}" > "$SLUICE_OUTPUTS_DIR/metrics.json"; echo m > "$SLUICE_OUTPUTS_DIR/model.txt"; ' +
          'env | grep -E "^(SLUICE_|CUSTOM|PATH=)" | sort; printf partial',
      ],
      env: { CUSTOM: 'yes', SLUICE_STEP_ID: 'overridden-by-executor' },
      params: { epochs: 2 },
    });
    await writeFile(path.join(req.workDir, 'inputs', 'data.txt'), 'input-data\n');
    await mkdir(path.join(req.workDir, 'outputs'));
    await writeFile(path.join(req.workDir, 'outputs', 'stale'), 'old');
    const result = await new ProcessExecutor({ workerEnv }).run(req);

    expect(result).toMatchObject({ exitCode: 0, timedOut: false, reattached: false });
    expect(result.imageDigest).toBeUndefined();
    expect(linesOf(logs, 'stderr')).toEqual(['err1', 'err2']);
    const out = linesOf(logs, 'stdout');
    const workDir = path.resolve(req.workDir);
    expect(out.slice(0, 4)).toEqual(['out1', 'out2', path.join(workDir, 'work'), 'input-data']);
    expect(out).toContain('CUSTOM=yes');
    expect(out).toContain(`SLUICE_RUN_ID=${req.runId}`);
    expect(out).toContain('SLUICE_STEP_ID=train');
    expect(out).toContain('SLUICE_PARAMS={"epochs":2}');
    expect(out).toContain(`SLUICE_INPUTS_DIR=${path.join(workDir, 'inputs')}`);
    expect(out).toContain(`SLUICE_OUTPUTS_DIR=${path.join(workDir, 'outputs')}`);
    expect(out.some((l) => l.startsWith('PATH='))).toBe(true);
    expect(out.join('\n')).not.toContain('do-not-leak');
    expect(out.at(-1)).toBe('partial');
    expect(JSON.parse(await readOutput(req, 'metrics.json'))).toEqual({ loss: 0.5 });
    expect(await readOutput(req, 'model.txt')).toBe('m\n');
    expect(existsSync(path.join(req.workDir, 'outputs', 'stale'))).toBe(false);
  });

  it('reports a non-zero exit code', async () => {
    const { req } = await newStep(sh('exit 4'));
    expect(await executor.run(req)).toMatchObject({ exitCode: 4, timedOut: false });
  });

  it('kills the whole process group on timeout', async () => {
    const { req } = await newStep({
      ...sh(
        'sleep 100 & echo $! >> "$SLUICE_OUTPUTS_DIR/pids"; sleep 100 & echo $! >> "$SLUICE_OUTPUTS_DIR/pids"; wait',
      ),
      timeoutMs: 1_000,
    });
    const result = await executor.run(req);
    expect(result.timedOut).toBe(true);
    expect(result.durationMs).toBeLessThan(1_000 + 2_000 + 1_500);
    const pids = await pidsIn(path.join(req.workDir, 'outputs', 'pids'));
    expect(pids).toHaveLength(2);
    for (const pid of pids) expect(await isRunning(pid)).toBe(false);
  });

  it('kills a process group that ignores SIGTERM after the grace', async () => {
    const { req } = await newStep({
      ...sh('trap "" TERM; echo $$ > "$SLUICE_OUTPUTS_DIR/pids"; while :; do sleep 1; done'),
      // Long enough for a loaded machine to reach the trap before the SIGTERM.
      timeoutMs: 1_500,
    });
    const result = await new ProcessExecutor({ killGraceMs: 500 }).run(req);
    expect(result).toMatchObject({ timedOut: true, exitCode: 128 + 9 });
    expect(await isRunning((await pidsIn(path.join(req.workDir, 'outputs', 'pids')))[0]!)).toBe(false);
  });

  it('kills what the process left running when it exits', async () => {
    const { req } = await newStep(sh('sleep 100 & echo $! > "$SLUICE_OUTPUTS_DIR/pids"; echo bye'));
    const result = await executor.run(req);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false });
    expect(result.durationMs).toBeLessThan(3_000);
    expect(await isRunning((await pidsIn(path.join(req.workDir, 'outputs', 'pids')))[0]!)).toBe(false);
  });

  it('kills the group on abort and rejects with an AbortError', async () => {
    const controller = new AbortController();
    const { req } = await newStep({
      ...sh('sleep 100 & echo $! > "$SLUICE_OUTPUTS_DIR/pids"; wait'),
      signal: controller.signal,
    });
    const running = executor.run(req);
    const [sleeper] = await writtenPids(req);
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(await isRunning(sleeper!)).toBe(false);
  });

  it('maps ENOENT and exit 127 to CommandNotFound, an empty command to InvalidRequest', async () => {
    const { req } = await newStep({ command: ['no-such-binary-here'] });
    const err = await executor.run(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).toMatchObject({ code: 'CommandNotFound' });
    const { req: viaShell } = await newStep(sh('no-such-binary-here'));
    await expect(executor.run(viaShell)).rejects.toMatchObject({ code: 'CommandNotFound' });
    const { req: empty } = await newStep({ command: [] });
    await expect(executor.run(empty)).rejects.toMatchObject({ code: 'InvalidRequest' });
    expect(await executor.resolveImage()).toBeUndefined();
  });

  it('kills the process group a crashed worker left behind before starting fresh', async () => {
    const { req, logs } = await newStep(sh('echo $$ > "$SLUICE_OUTPUTS_DIR/pids"; sleep 100'));
    const worker = spawnExecutorProcess('process', req);
    const [orphan] = await writtenPids(req);
    const exited = new Promise((r) => worker.once('exit', r));
    worker.kill('SIGKILL');
    await exited;
    expect(await isRunning(orphan!)).toBe(true);

    const result = await executor.run({ ...req, ...sh('echo fresh'), attempt: 2 });
    expect(result).toMatchObject({ exitCode: 0, reattached: false });
    expect(linesOf(logs, 'stdout')).toEqual(['fresh']);
    expect(await isRunning(orphan!)).toBe(false);
  });

  it("finds a step's leftover processes by their SLUICE_RUN_ID/SLUICE_STEP_ID, with nothing recorded", async () => {
    // As if a worker died right after the spawn: the step runs, no worker knows of it.
    const { req, logs } = await newStep();
    const orphan = await spawnByHand(req, req.stepId);
    const otherStep = await spawnByHand(await newStep({ runId: req.runId }).then((s) => s.req), 'evaluate');
    try {
      const result = await executor.run({ ...req, ...sh('echo fresh'), attempt: 2 });
      expect(result).toMatchObject({ exitCode: 0, reattached: false });
      expect(linesOf(logs, 'stdout')).toEqual(['fresh']);
      for (const pid of orphan.pids) expect(await isRunning(pid)).toBe(false);
      for (const pid of otherStep.pids) expect(await isRunning(pid)).toBe(true);
    } finally {
      for (const group of [orphan, otherStep]) signalGroup(group.pgid, 'SIGKILL');
    }
  });
});

/**
 * Starts a step's shell and its background child in a group of their own, with the identity
 * the executor gives its steps but without any executor; returns once both pids are written.
 */
async function spawnByHand(req: StepRunRequest, stepId: string): Promise<{ pgid: number; pids: number[] }> {
  const outputs = path.join(req.workDir, 'outputs');
  await mkdir(outputs, { recursive: true });
  const script = 'sleep 100 & echo $! > "$SLUICE_OUTPUTS_DIR/pids"; echo $$ >> "$SLUICE_OUTPUTS_DIR/pids"; wait';
  const child = spawn('sh', ['-c', script], {
    env: { PATH: process.env.PATH, SLUICE_RUN_ID: req.runId, SLUICE_STEP_ID: stepId, SLUICE_OUTPUTS_DIR: outputs },
    detached: true,
    stdio: 'ignore',
  });
  const pids = await writtenPids(req, 2);
  return { pgid: child.pid!, pids };
}
