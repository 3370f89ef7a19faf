import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { startStack, type Stack } from '../workers/stack.js';
import type { ModelVersion } from '../cli/types.js';
import { uniqueId } from './support/services.js';
import { installQuietTemporalRuntime } from './support/temporal-runtime.js';

const root = fileURLToPath(new URL('..', import.meta.url));

const train = (name: string) => `apiVersion: sluice/v1
name: ${name}
steps:
  - id: fit
    image: none
    command: [sh, -c, 'printf "weights-%s" "$SLUICE_RUN_ID" > "$SLUICE_OUTPUTS_DIR/model.pkl"']
    outputs: [model.pkl]
`;
// 20 numbered lines, then a failure: --follow should show the last 15 of them.
const noisy = (name: string) => `apiVersion: sluice/v1
name: ${name}
steps:
  - id: boom
    image: none
    command: [sh, -c, 'i=1; while [ $i -le 20 ]; do echo "line $i"; i=$((i+1)); done; exit 3']
`;
const CSV = 'tenure,monthly,plan\n1,20.5,basic\n24,80,pro\n60,99.9,pro\n';

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

describe('the sluice CLI on the registry', () => {
  let stack: Stack;
  let dataDir: string;
  let runId = '';
  const pipeline = uniqueId('train');
  const failing = uniqueId('noisy');
  const model = uniqueId('churn');
  const dataset = uniqueId('churn-data');

  const sluice = (args: string[]): Promise<Result> =>
    new Promise((resolve) => {
      execFile(
        process.execPath,
        [join(root, 'bin/sluice.js'), ...args],
        {
          cwd: dataDir,
          timeout: 60_000,
          env: { PATH: process.env.PATH, SLUICE_API_URL: stack.apiUrl, SLUICE_DATA_DIR: dataDir },
        },
        (error, stdout, stderr) =>
          resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
      );
    });
  const ok = async (args: string[]): Promise<string> => {
    const r = await sluice(args);
    expect(r.code, `sluice ${args.join(' ')}: ${r.stderr}`).toBe(0);
    return r.stdout;
  };
  const register = async (body: object) => {
    const res = await fetch(`${stack.apiUrl}/v1/models/${model}/versions`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${(await readFile(join(dataDir, 'admin.key'), 'utf8')).trim()}`,
        'content-type': 'application/json',
      },
      body: JSON.stringify(body),
    });
    expect(res.status, await res.clone().text()).toBe(201);
    return (await res.json()) as { version: number; artifact: { sha256: string } };
  };

  beforeAll(async () => {
    installQuietTemporalRuntime('WARN');
    dataDir = await mkdtemp(join(tmpdir(), 'sluice-cli-registry-'));
    const config = loadConfig({
      SLUICE_DATA_DIR: dataDir,
      SLUICE_PORT: String(await freePort()),
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: uniqueId('cli-registry'),
      SLUICE_EXECUTOR: 'process',
      // Steps run as this (root) test process: its temp data dir is 0700, out of reach of a step user.
      SLUICE_POLICY_ALLOW_ROOT: 'true',
      SLUICE_LOG_LEVEL: 'warn',
    });
    stack = await startStack(config, () => {});
    await writeFile(join(dataDir, 'train.yaml'), train(pipeline));
    await writeFile(join(dataDir, 'noisy.yaml'), noisy(failing));
    await writeFile(join(dataDir, 'data.csv'), CSV);
  });
  afterAll(async () => {
    await stack?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('ingests a CSV as a dataset version and shows it, its versions and its column statistics', async () => {
    const ingested = await ok(['datasets', 'ingest', dataset, '-f', 'data.csv', '--description', 'March export']);
    expect(ingested).toBe(`ingested datasets:/${dataset}/1 (3 rows)\n`);
    expect(await ok(['datasets', 'ls', '--prefix', dataset])).toMatch(
      new RegExp(`^NAME +LATEST +UPDATED +DESCRIPTION\\n${dataset} +v1 +\\S+ \\S+\\n$`),
    );
    expect(await ok(['datasets', 'get', dataset])).toMatch(/v1 +3 +csv +[0-9a-f]{12} +upload/);

    const stats = await ok(['datasets', 'stats', dataset]);
    expect(stats).toMatch(
      new RegExp(`^datasets:/${dataset}/1  3 rows\\nCOLUMN +TYPE +COUNT +NULLS +DISTINCT +VALUES\\n`),
    );
    expect(stats).toMatch(/tenure +integer +3 +0 +3 +1\.\.60 +mean 28\.3333/);
    expect(stats).toMatch(/plan +string +3 +0 +2 +pro \(2\), basic \(1\)/);
    const asJson = JSON.parse(await ok(['datasets', 'stats', dataset, '1', '--json'])) as { rowCount: number };
    expect(asJson.rowCount).toBe(3);

    const missing = await sluice(['datasets', 'stats', dataset, '7']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^error: .*does not exist\n$/);
    expect((await sluice(['datasets', 'stats', dataset, 'seven'])).code).toBe(2);
  });

  it('lists and searches model versions and moves their aliases', async () => {
    await ok(['pipelines', 'apply', '-f', 'train.yaml']);
    await ok(['run', pipeline, '--follow']);
    runId = (JSON.parse(await ok(['runs', 'ls', '--pipeline', pipeline, '--json'])) as { items: { id: string }[] })
      .items[0]!.id;
    const v1 = await register({
      source: { runId, stepId: 'fit', output: 'model.pkl' },
      metrics: { accuracy: 0.81 },
      datasets: [`datasets:/${dataset}/1`],
    });
    await register({ artifactUri: `sha256:${v1.artifact.sha256}`, metrics: { accuracy: 0.93 }, format: 'pickle' });

    expect(await ok(['models', 'ls', '--prefix', model])).toMatch(new RegExp(`\\n${model} +v2 +active `));
    const better = await ok(['models', 'versions', model, '--metric', 'accuracy>0.9']);
    expect(better).toMatch(
      /^VERSION +STATUS +ALIASES +FORMAT +METRICS +CREATED\nv2 +registered +pickle +accuracy=0\.93 /,
    );
    expect(better).not.toMatch(/\nv1 /);
    expect((await sluice(['models', 'versions', model, '--metric', 'accuracy>high'])).code).toBe(2);

    expect(await ok(['models', 'alias', 'set', model, 'champion', '1'])).toBe(`${model}@champion → v1 (new)\n`);
    expect(await ok(['models', 'alias', 'set', model, '@champion', '2'])).toBe(`${model}@champion → v2 (was v1)\n`);
    expect(await ok(['models', 'get', model])).toMatch(/@champion +v2/);
    expect(await ok(['models', 'versions', model, '--alias', 'champion'])).toMatch(/\nv2 +registered +@champion /);
    const noSuch = await sluice(['models', 'alias', 'set', model, 'champion', '9']);
    expect(noSuch.code).toBe(1);
    expect(noSuch.stderr).toBe(
      `error: model version ${model}/9 does not exist\n  body.version: ${model} has no version 9\n`,
    );
    const badAlias = await sluice(['models', 'alias', 'set', model, 'Champion!', '1']);
    expect(badAlias.code).toBe(1);
    expect(badAlias.stderr).toMatch(/^error: .*\n {2}params\.alias: must be 1-64 characters/);
  });

  it('downloads a version with its sha256 checked, and archives one once no alias holds it', async () => {
    const { sha256 } = (JSON.parse(await ok(['models', 'get', model, '1', '--json'])) as ModelVersion).artifact;
    // The bytes written are the bytes registered: sha256 checked, no partial file left behind.
    const got = await ok(['models', 'download', model, '@champion']);
    expect(got).toMatch(new RegExp(`^${model}-v2\\.pkl  \\d+ bytes  sha256 ${sha256} verified\\n$`));
    const bytes = await readFile(join(dataDir, `${model}-v2.pkl`));
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(sha256);
    expect(bytes.toString()).toBe(`weights-${runId}`);
    await ok(['models', 'download', model, '1', '-o', 'm.bin']);
    expect((await stat(join(dataDir, 'm.bin'))).size).toBe(bytes.length);
    await expect(stat(join(dataDir, 'm.bin.part'))).rejects.toThrow();

    const held = await sluice(['models', 'archive', model, '2']);
    expect(held.code).toBe(1);
    expect(held.stderr).toMatch(/^error: .*alias/);
    expect(await ok(['models', 'alias', 'rm', model, 'champion'])).toBe(`removed ${model}@champion\n`);
    expect(await ok(['models', 'archive', model, '2'])).toBe(`archived models:/${model}/2\n`);
    expect(await ok(['models', 'versions', model, '--status', 'archived'])).toMatch(/\nv2 +archived /);
  });

  it('draws lineage as a tree, upstream and downstream', async () => {
    const up = await ok(['lineage', `models:/${model}/1`, '--direction', 'up']);
    const lines = up.trimEnd().split('\n');
    expect(lines[0]).toBe(`model ${model} v1 (registered, accuracy=0.81)`);
    expect(lines[1]).toBe('upstream (what it came from):');
    expect(up).toMatch(/\n[├└]─ ← registered_as artifact fit\/model\.pkl \(\d+ bytes\)\n/);
    expect(up).toMatch(
      new RegExp(`\\n[│ ] {2}└─ ← produced run ${pipeline} run ${runId} \\(succeeded\\) via fit/model\\.pkl\\n`),
    );
    expect(up).toMatch(new RegExp(`\\n[├└]─ ← trained_on dataset ${dataset} v1 \\(3 rows\\)`));

    const down = await ok(['lineage', `datasets:/${dataset}/1`, '--direction', 'down', '--depth', '1']);
    expect(down).toBe(
      `dataset ${dataset} v1 (3 rows)\ndownstream (what came of it):\n└─ → trained_on model ${model} v1 (registered, accuracy=0.81)\n`,
    );
    const run = await ok(['lineage', runId, '--json']);
    expect((JSON.parse(run) as { root: string }).root).toBe(`run:${runId}`);

    expect((await sluice(['lineage', 'models:/Not A Model'])).code).toBe(2);
    expect((await sluice(['lineage', `models:/${model}/1`, '--direction', 'sideways'])).code).toBe(2);
    const gone = await sluice(['lineage', `models:/${model}/99`]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/^error: /);
  });

  it("shows a failed step's last output lines under --follow", async () => {
    await ok(['pipelines', 'apply', '-f', 'noisy.yaml']);
    const r = await sluice(['run', failing, '--follow']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ failed.*: step boom failed: exited with code 3\n/);
    expect(r.stdout).toMatch(/✗ boom +failed +.*exited with code 3\n/);
    expect(r.stdout).not.toContain('last output:');
    const tail = r.stdout.slice(r.stdout.indexOf('last output of boom'));
    expect(tail).toMatch(/^last output of boom \(sluice logs \S+ boom for all of it\):\n/);
    const shown = tail.split('\n').filter((l) => l.startsWith('  │ '));
    expect(shown).toEqual(Array.from({ length: 15 }, (_, i) => `  │ line ${i + 6}`));
  });
});
