import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { DockerExecutor } from './docker.js';
import { containerName } from './docker-names.js';
import { linesOf, newStep, readOutput, removeWorkDirs } from '../../test/support/executors.js';
import { waitFor } from '../../test/support/wait.js';
import { ExecutorError } from './types.js';

const docker = new Docker();
const executor = new DockerExecutor({ docker });
const sh = (script: string) => ({ command: ['sh', '-c', script] });
const containersOf = (runId: string) =>
  docker.listContainers({ all: true, filters: { label: [`sluice.run=${runId}`] } });

afterAll(removeWorkDirs);

describe('DockerExecutor', () => {
  it('runs a command: logs per stream in order, outputs, metrics, SLUICE_* env; removes the container', async () => {
    const { req, logs } = await newStep({
      ...sh(
        'echo out1; echo err1 >&2; echo out2; echo err2 >&2; ' +
          'echo "{\\"acc\\": 0.93}" > /sluice/outputs/metrics.json; echo model > "$SLUICE_OUTPUTS_DIR/model.txt"; ' +
          'env | grep -E "^(SLUICE_|CUSTOM)" | sort; printf partial',
      ),
      env: { CUSTOM: 'yes', SLUICE_RUN_ID: 'overridden-by-executor' },
      params: { lr: 0.1, name: 'x y' },
    });
    await mkdir(path.join(req.workDir, 'outputs'));
    await writeFile(path.join(req.workDir, 'outputs', 'stale'), 'from an earlier attempt');
    const result = await executor.run(req);
    expect(result).toMatchObject({ exitCode: 0, timedOut: false, reattached: false });
    expect(result.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(linesOf(logs, 'stderr')).toEqual(['err1', 'err2']);
    const out = linesOf(logs, 'stdout');
    expect(out.slice(0, 2)).toEqual(['out1', 'out2']);
    expect(out).toContain('CUSTOM=yes');
    expect(out).toContain(`SLUICE_RUN_ID=${req.runId}`);
    expect(out).toContain('SLUICE_STEP_ID=train');
    expect(out).toContain('SLUICE_PARAMS={"lr":0.1,"name":"x y"}');
    expect(out).toContain('SLUICE_INPUTS_DIR=/sluice/inputs');
    expect(out).toContain('SLUICE_OUTPUTS_DIR=/sluice/outputs');
    expect(out.at(-1)).toBe('partial');
    expect(JSON.parse(await readOutput(req, 'metrics.json'))).toEqual({ acc: 0.93 });
    expect(await readOutput(req, 'model.txt')).toBe('model\n');
    expect(existsSync(path.join(req.workDir, 'outputs', 'stale'))).toBe(false);
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('loses and duplicates no line when the container exits right after writing', async () => {
    const script = 'for i in 1 2 3 4 5 6 7 8; do echo o$i; echo e$i >&2; done; printf tail-out; printf tail-err >&2';
    const expected = ['o1', 'o2', 'o3', 'o4', 'o5', 'o6', 'o7', 'o8', 'tail-out'];
    for (let round = 0; round < 3; round++) {
      const steps = await Promise.all([1, 2, 3, 4].map(() => newStep(sh(script))));
      await Promise.all(steps.map(({ req }) => executor.run(req)));
      for (const { logs } of steps) {
        expect(linesOf(logs, 'stdout')).toEqual(expected);
        expect(linesOf(logs, 'stderr')).toEqual(expected.map((l) => l.replace(/^o/, 'e').replace('-out', '-err')));
      }
    }
  });

  it('mounts inputs read-only', async () => {
    const { req, logs } = await newStep(
      sh('cat /sluice/inputs/data.txt; echo changed > /sluice/inputs/data.txt && echo wrote || echo write-failed'),
    );
    await writeFile(path.join(req.workDir, 'inputs', 'data.txt'), 'hello\n');
    expect((await executor.run(req)).exitCode).toBe(0);
    expect(linesOf(logs, 'stdout')).toEqual(['hello', 'write-failed']);
    expect(await readFile(path.join(req.workDir, 'inputs', 'data.txt'), 'utf8')).toBe('hello\n');
  });

  it('reports a non-zero exit code', async () => {
    const { req } = await newStep(sh('exit 3'));
    expect(await executor.run(req)).toMatchObject({ exitCode: 3, timedOut: false });
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it("runs the image's default command when command and args are empty", async () => {
    const { req } = await newStep();
    expect((await executor.run(req)).exitCode).toBe(0);
  });

  it('kills and removes the container on timeout', async () => {
    const { req } = await newStep({ ...sh('echo started; sleep 100'), timeoutMs: 1_500 });
    const result = await executor.run(req);
    expect(result.timedOut).toBe(true);
    expect(result.exitCode).not.toBe(0);
    expect(result.durationMs).toBeLessThan(1_500 + 2_000 + 3_000);
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('kills and removes the container on abort and rejects with an AbortError', async () => {
    const controller = new AbortController();
    const { req } = await newStep({ ...sh('sleep 100'), signal: controller.signal });
    const started = Date.now();
    const running = executor.run(req);
    await waitFor('the container to run', async () =>
      (await containersOf(req.runId)).some((c) => c.State === 'running') ? true : undefined,
    );
    controller.abort();
    await expect(running).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('fails fast with ImageNotFound for a missing image, from run() and resolveImage()', async () => {
    const { req } = await newStep({ image: 'sluice/not-here:1', ...sh('true') });
    const started = Date.now();
    const err = await executor.run(req).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ExecutorError);
    expect(err).toMatchObject({ code: 'ImageNotFound', message: expect.stringContaining('"sluice/not-here:1"') });
    expect(Date.now() - started).toBeLessThan(2_000);
    await expect(executor.resolveImage('sluice/not-here:1')).rejects.toMatchObject({ code: 'ImageNotFound' });
    expect(await executor.resolveImage('sluice/busybox:1')).toMatch(/^sha256:/);
  });

  it('maps a missing executable and exit code 127 to CommandNotFound', async () => {
    const { req } = await newStep({ command: ['no-such-binary'] });
    await expect(executor.run(req)).rejects.toMatchObject({ code: 'CommandNotFound' });
    expect(await containersOf(req.runId)).toEqual([]);
    const { req: viaShell } = await newStep(sh('no-such-binary'));
    await expect(executor.run(viaShell)).rejects.toMatchObject({
      code: 'CommandNotFound',
      message: expect.stringContaining('no-such-binary'),
    });
  });

  it('applies memory and cpu limits', async () => {
    const { req, logs } = await newStep({
      ...sh(
        'cat /sys/fs/cgroup/memory.max 2>/dev/null || cat /sys/fs/cgroup/memory/memory.limit_in_bytes; ' +
          'cat /sys/fs/cgroup/cpu.max 2>/dev/null || cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us',
      ),
      resources: { memoryMb: 64, cpu: 0.5 },
    });
    await executor.run(req);
    const [memory, cpu] = linesOf(logs, 'stdout');
    expect(memory).toBe(String(64 * 1024 * 1024));
    expect(cpu?.split(' ')[0]).toBe('50000');
  });

  it('fails clearly when GPUs are requested on an engine without a GPU runtime', async () => {
    const { req } = await newStep({ ...sh('true'), resources: { gpus: 1 } });
    await expect(executor.run(req)).rejects.toMatchObject({
      code: 'InvalidRequest',
      message: expect.stringContaining('GPU'),
    });
    expect(await containersOf(req.runId)).toEqual([]);
  });

  it('uses network "none" by default and "host" when configured', async () => {
    const script = 'tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d " "';
    const { req, logs } = await newStep(sh(script));
    await executor.run(req);
    expect(linesOf(logs, 'stdout')).toEqual(['lo']);
    const { req: hostReq, logs: hostLogs } = await newStep(sh(script));
    await new DockerExecutor({ docker, network: 'host' }).run(hostReq);
    expect(linesOf(hostLogs, 'stdout').length).toBeGreaterThan(1);
  });
});

describe('containerName', () => {
  const valid = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

  it('is sluice-<run>-<step>, docker-valid, deterministic and injective', () => {
    expect(containerName('r1', 's1')).toBe('sluice-r1-s1');
    const odd = containerName('run/ä b', 'step:1');
    expect(odd).toMatch(valid);
    expect(odd).toBe(containerName('run/ä b', 'step:1'));
    expect(containerName('a-b', 'c')).not.toBe(containerName('a', 'b-c'));
  });

  it('stays under 200 characters for long ids', () => {
    const name = containerName('r'.repeat(300), 's'.repeat(300));
    expect(name.length).toBeLessThanOrEqual(200);
    expect(name).toMatch(valid);
    expect(name).not.toBe(containerName('r'.repeat(300), 's'.repeat(299)));
  });
});
