import { execFile, spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stopDriftMonitor } from '../core/drift/monitor.js';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { startStack, type Stack } from '../workers/stack.js';
import { tearDownDeployment } from './support/deployments.js';
import { uniqueId } from './support/services.js';
import { installQuietTemporalRuntime } from './support/temporal-runtime.js';
import { waitFor } from './support/wait.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const spec = join(root, 'examples/pipelines/lifecycle.yaml');
// The first Python step on a machine builds the venv from PyPI (scikit-learn, pandas): minutes.
const FIRST_RUN_MS = 15 * 60_000;

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}
interface RunJson {
  id: string;
  status: string;
  outcome: string | null;
  outcomeReason: string | null;
  steps: {
    id: string;
    status: string;
    metrics: Record<string, number>;
    details: Record<string, unknown> | null;
    skipReason: string | null;
  }[];
}

// The README's walkthrough, as a user without Docker does it: the first run promotes (no champion
// yet), a second run with worse params is not promoted, a third is rejected by a person.
// On both executors: Docker runs the steps in the locally built sluice/sklearn:1 image, the process
// executor in a venv built from the example's requirements.txt.
describe.each(['process', 'docker'] as const)(
  'examples/pipelines/lifecycle.yaml on the %s executor, through the CLI',
  (executor) => {
    let stack: Stack;
    let dataDir: string;

    const env = () => ({ PATH: process.env.PATH, SLUICE_API_URL: stack.apiUrl, SLUICE_DATA_DIR: dataDir });
    const sluice = (args: string[], timeout = 60_000): Promise<Result> =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          [join(root, 'bin/sluice.js'), ...args],
          { cwd: root, timeout, maxBuffer: 16 * 1024 * 1024, env: env() },
          (error, stdout, stderr) =>
            resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
        );
      });
    const json = async <T>(args: string[]): Promise<T> => {
      const r = await sluice([...args, '--json']);
      expect(r.code, `${args.join(' ')}: ${r.stdout}\n${r.stderr}`).toBe(0);
      return JSON.parse(r.stdout) as T;
    };
    /** `sluice run lifecycle --follow` in the background, as a person leaves it running in a terminal. */
    const follow = (params: string[]) => {
      const child = spawn(
        process.execPath,
        [join(root, 'bin/sluice.js'), 'run', 'lifecycle', ...params.flatMap((p) => ['-p', p]), '--follow'],
        { cwd: root, env: env() },
      );
      let output = '';
      child.stdout.on('data', (b: Buffer) => (output += b.toString()));
      child.stderr.on('data', (b: Buffer) => (output += b.toString()));
      const exited = new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
      return { child, exited, output: () => output };
    };
    const runIdIn = (output: string) => /(lifecycle-\d{14}-\w{4})/.exec(output)?.[1];
    const waitingRun = async (output: () => string, timeout: number) => {
      const id = await waitFor(
        () => `the run id; output:\n${output()}`,
        () => runIdIn(output()),
        60_000,
      );
      await waitFor(
        () => `run ${id} to wait for approval; output:\n${output()}`,
        async () =>
          (await json<{ items: { id: string }[] }>(['runs', 'ls', '--status', 'waiting'])).items.some(
            (r) => r.id === id,
          ),
        timeout,
      );
      return id;
    };
    const step = (run: RunJson, id: string) => run.steps.find((s) => s.id === id)!;

    beforeAll(async () => {
      installQuietTemporalRuntime('WARN');
      dataDir = await mkdtemp(join(tmpdir(), `sluice-lifecycle-${executor}-`));
      const config = loadConfig({
        SLUICE_DATA_DIR: dataDir,
        SLUICE_PORT: String(await freePort()),
        SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
        SLUICE_TASK_QUEUE: uniqueId(`lifecycle-${executor}`),
        SLUICE_EXECUTOR: executor,
        SLUICE_LOG_LEVEL: 'warn',
      });
      stack = await startStack(config, () => {});
      const applied = await sluice(['pipelines', 'apply', '-f', spec]);
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/applied lifecycle version 1\n$/);
    });
    afterAll(async () => {
      // The deployment's workflow and its model server outlive the stack: end both.
      const connection = await Connection.connect({ address: inject('temporalAddress') });
      await tearDownDeployment(new Client({ connection }), 'wine');
      await stopDriftMonitor(new Client({ connection }), 'wine');
      await connection.close();
      await stack?.stop();
      await rm(dataDir, { recursive: true, force: true });
    });

    it(
      'first run: waits for a person, who approves it; the challenger becomes champion',
      async () => {
        const t0 = Date.now();
        const run = follow([]);
        const id = await waitingRun(run.output, FIRST_RUN_MS);
        const waiting = await json<RunJson>(['runs', 'get', id]);
        expect(waiting.status).toBe('waiting');
        expect(step(waiting, 'approve').status).toBe('awaiting-approval');
        expect(step(waiting, 'evaluate').metrics.accuracy).toBeGreaterThan(0.9);
        // No champion yet: no baseline evaluated, and the gate's gain check says it was skipped.
        expect(step(waiting, 'evaluate').details).toMatchObject({ baseline: null });
        expect(JSON.stringify(step(waiting, 'gate').details)).toContain('no baseline');
        expect(run.output()).toContain(`sluice approve ${id}`);

        const approved = await sluice(['approve', id, '-m', 'looks good']);
        expect(approved.code, approved.stdout + approved.stderr).toBe(0);
        expect(await run.exited, run.output()).toBe(0);
        expect(run.output()).toMatch(/outcome: promoted/);
        const ms = Date.now() - t0;

        const done = await json<RunJson>(['runs', 'get', id]);
        expect(done).toMatchObject({ status: 'succeeded', outcome: 'promoted' });
        // The new champion serves: ready on its exact version, the smoke request answered.
        expect(step(done, 'deploy').details, JSON.stringify(step(done, 'deploy'))).toMatchObject({
          outcome: 'deployed',
          deployment: 'wine',
          version: 1,
        });
        // Predictions through the gateway are the model server's own, and name the version that served.
        const key = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
        const auth = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
        const rows = [
          {
            alcohol: 13.2,
            malic_acid: 1.78,
            ash: 2.14,
            alcalinity_of_ash: 11.2,
            magnesium: 100,
            total_phenols: 2.65,
            flavanoids: 2.76,
            nonflavanoid_phenols: 0.26,
            proanthocyanins: 1.28,
            color_intensity: 4.38,
            hue: 1.05,
            od280_od315_of_diluted_wines: 3.4,
            proline: 1050,
          },
          {
            alcohol: 12.37,
            malic_acid: 1.13,
            ash: 2.16,
            alcalinity_of_ash: 19,
            magnesium: 87,
            total_phenols: 3.5,
            flavanoids: 3.1,
            nonflavanoid_phenols: 0.19,
            proanthocyanins: 1.87,
            color_intensity: 4.45,
            hue: 1.22,
            od280_od315_of_diluted_wines: 2.87,
            proline: 420,
          },
        ];
        const viaGateway = await fetch(`${stack.apiUrl}/v1/deployments/wine/predict`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ rows }),
        });
        expect(viaGateway.status, await viaGateway.clone().text()).toBe(200);
        const served = (await viaGateway.json()) as { predictions: unknown[]; version: number };
        expect(served.version).toBe(1);
        const status = (await (await fetch(`${stack.apiUrl}/v1/deployments/wine`, { headers: auth })).json()) as {
          routes: Array<{ url: string }>;
        };
        const direct = (await (
          await fetch(`${status.routes[0]!.url}/predict`, {
            method: 'POST',
            headers: auth,
            body: JSON.stringify({ rows }),
          })
        ).json()) as { predictions: unknown[] };
        expect(served.predictions).toEqual(direct.predictions);
        expect(served.predictions).toHaveLength(2);
        const model = await json<{ aliases: Record<string, number> }>(['models', 'get', 'wine']);
        expect(model.aliases).toMatchObject({ champion: 1, challenger: 1 });
        // The champion's story: the dataset it was trained on, the run that made it.
        const lineage = await sluice(['lineage', 'models:/wine@champion']);
        expect(lineage.stdout).toMatch(/trained_on dataset wine v1/);
        expect(lineage.stdout).toContain(id);
        console.log(`[timing] lifecycle on ${executor}: first run (approval included) ${ms} ms`);
      },
      FIRST_RUN_MS + 2 * 60_000,
    );

    it(
      'second run with worse params: the gate says no, the run ends not-promoted',
      async () => {
        const t0 = Date.now();
        const run = follow(['C=0.01', 'features=2']);
        expect(await run.exited, run.output()).toBe(0);
        expect(run.output()).toMatch(/outcome: not-promoted/);
        const done = await json<RunJson>(['runs', 'get', runIdIn(run.output())!]);
        expect(done).toMatchObject({ status: 'succeeded', outcome: 'not-promoted' });
        expect(done.outcomeReason).toMatch(/accuracy/);
        // The champion was scored on the same test data beside the candidate.
        const evaluate = step(done, 'evaluate');
        expect(evaluate.details).toMatchObject({ baseline: { model: 'wine', version: 1 } });
        const baseline = evaluate.details!.baselineMetrics as Record<string, number>;
        expect(baseline.accuracy).toBeGreaterThan(evaluate.metrics.accuracy!);
        for (const id of ['register', 'approve', 'promote']) expect(step(done, id).status).toBe('skipped');
        const model = await json<{ aliases: Record<string, number> }>(['models', 'get', 'wine']);
        expect(model.aliases).toMatchObject({ champion: 1 });
        console.log(`[timing] lifecycle on ${executor}: second run ${Date.now() - t0} ms`);
      },
      6 * 60_000,
    );

    it(
      'third run: a person rejects it; the champion stays, the challenger moves',
      async () => {
        const run = follow(['C=0.5']);
        const id = await waitingRun(run.output, 5 * 60_000);
        const rejected = await sluice(['approve', id, '--reject', '-m', 'not this week']);
        expect(rejected.code, rejected.stdout + rejected.stderr).toBe(0);
        expect(await run.exited, run.output()).toBe(0);
        const done = await json<RunJson>(['runs', 'get', id]);
        expect(done).toMatchObject({ status: 'succeeded', outcome: 'rejected' });
        expect(done.outcomeReason).toContain('not this week');
        expect(step(done, 'promote').status).toBe('skipped');
        const model = await json<{ aliases: Record<string, number> }>(['models', 'get', 'wine']);
        expect(model.aliases).toMatchObject({ champion: 1, challenger: 2 });
        const listed = await json<{ items: { id: string }[] }>(['runs', 'ls', '--outcome', 'rejected']);
        expect(listed.items.map((r) => r.id)).toContain(id);
        // The decision is audited with its comment.
        const events = await json<{ items: unknown[] }>(['events', '--action', 'run.step.reject', '--resource-id', id]);
        expect(events.items).toHaveLength(1);
        expect(JSON.stringify(events.items)).toContain('not this week');
      },
      6 * 60_000,
    );
  },
);
