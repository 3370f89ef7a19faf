import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { startStack, type Stack } from '../workers/stack.js';
import { uniqueId } from './support/services.js';
import { installQuietTemporalRuntime } from './support/temporal-runtime.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const spec = join(root, 'examples/pipelines/train-sklearn.yaml');
// The first run ever on a machine builds the venv from PyPI (scikit-learn, pandas): minutes.
const FIRST_RUN_MS = 15 * 60_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

// What a user without Docker gets: the CLI packs and uploads the example's code, the process
// executor runs it in its code directory with a venv built once in the tools directory.
describe('examples/pipelines/train-sklearn.yaml on the process executor, through the CLI', () => {
  let stack: Stack;
  let dataDir: string;

  const sluice = (args: string[], timeout = 60_000): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin/sluice.js'), ...args],
        {
          cwd: root,
          timeout,
          maxBuffer: 16 * 1024 * 1024,
          env: { PATH: process.env.PATH, SLUICE_API_URL: stack.apiUrl, SLUICE_DATA_DIR: dataDir },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  const timedRun = async (c: number, timeout: number) => {
    const t0 = Date.now();
    const r = await sluice(['run', 'train-sklearn', '-p', `C=${c}`, '--follow'], timeout);
    const ms = Date.now() - t0;
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const runId = /run (train-sklearn-\d{14}-\w{4}) succeeded/.exec(r.stdout)?.[1];
    expect(runId, r.stdout).toBeDefined();
    return { ms, runId: runId!, stdout: r.stdout };
  };

  beforeAll(async () => {
    installQuietTemporalRuntime('WARN');
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-example-'));
    const config = loadConfig({
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PORT: String(await freePort()),
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: uniqueId('example'),
      SLUICE_EXECUTOR: 'process',
      SLUICE_LOG_LEVEL: 'warn',
    });
    stack = await startStack(config, () => {});
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('applies the spec with its code package, idempotently', async () => {
    const first = await sluice(['pipelines', 'apply', '-f', spec]);
    expect(first, first.stderr).toMatchObject({ code: 0 });
    expect(first.stdout).toMatch(/^code examples\/sklearn: 4 files, \d+ bytes, sha256:[0-9a-f]{12} \(uploaded\)\n/);
    expect(first.stdout).toMatch(/applied train-sklearn version 1\n$/);
    const again = await sluice(['pipelines', 'apply', '-f', spec, '--json']);
    const applied = JSON.parse(again.stdout) as { version: number; created: boolean; code: { created: boolean } };
    expect(applied).toMatchObject({ version: 1, created: false, code: { created: false } });
    const got = JSON.parse((await sluice(['pipelines', 'get', 'train-sklearn'])).stdout) as { spec: { code: string } };
    expect(got.spec.code).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it(
    'runs end to end twice: the second run reuses the Python environment',
    async () => {
      const first = await timedRun(0.5, FIRST_RUN_MS);
      expect(first.stdout).toMatch(/✓ report\s+succeeded/);
      const second = await timedRun(0.7, 5 * 60_000);
      const logs = await sluice(['logs', second.runId, 'train']);
      expect(logs.stdout + logs.stderr).toMatch(/Python environment .* \(reused\)/);
      const view = JSON.parse((await sluice(['runs', 'get', second.runId, '--json'])).stdout) as {
        steps: { id: string; metrics: Record<string, number> }[];
      };
      expect(view.steps.find((s) => s.id === 'evaluate')!.metrics.accuracy).toBeGreaterThan(0.9);
      console.log(`[timing] train-sklearn on process: first run ${first.ms} ms, second run ${second.ms} ms`);
    },
    FIRST_RUN_MS + 6 * 60_000,
  );
});
