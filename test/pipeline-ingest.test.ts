import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { text } from 'node:stream/consumers';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3ArtifactStore } from '../core/artifacts/s3.js';
import { getRunSteps } from '../core/runs/projection.js';
import { useApi } from './support/api.js';
import { useHarness, type Harness } from './support/harness.js';
import { testS3Client, uniqueId } from './support/services.js';
import { planFrom, runInput, runToEnd } from './support/workflow-runs.js';

/** A small wine-like table: 40 rows, numeric features, an integer class and a string column. */
function wineCsv(rows = 40): string {
  const lines = ['alcohol,malic_acid,target,colour'];
  for (let i = 0; i < rows; i++)
    lines.push(`${(11 + i * 0.1).toFixed(2)},${(i % 7) + 0.5},${i % 3},${i % 4 ? 'red' : 'white'}`);
  return lines.join('\n') + '\n';
}

const SCHEMA = `
    schema:
      columns:
        - { name: alcohol, type: number, nullable: false, min: 0 }
        - { name: target, type: integer, min: 0, max: 2 }`;

function ingestSpec(name: string, source: string, dataset: string, extra = ''): string {
  return `
apiVersion: sluice/v1
name: ${name}
steps:
  - id: ingest
    kind: ingest
    source: ${source}
    dataset: ${dataset}${extra}
`;
}

async function run(h: Harness, yaml: string) {
  const input = runInput(planFrom(yaml));
  const { status, error } = await runToEnd(h, input);
  return { runId: input.runId, status, error: error?.cause?.message };
}

async function logOf(h: Harness, runId: string, step: string): Promise<string> {
  const lines = (await text(h.deps.logs.read(runId, step))).trim().split('\n');
  return lines.map((l) => (JSON.parse(l) as { line: string }).line).join('\n');
}

describe('the ingest step kind on a real worker (local store, process executor)', () => {
  const api = useApi();
  let root: string;
  let outside: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'ingest-root-'));
    outside = await mkdtemp(join(tmpdir(), 'ingest-outside-'));
    server = createServer((req, res) => {
      if (req.url === '/wine.csv') res.end(wineCsv(25));
      else if (req.url === '/moved') res.writeHead(302, { location: '/wine.csv' }).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await api.h.startInProcessWorker({ ingest: { roots: [root], hosts: ['127.0.0.1'] } });
  });
  afterAll(() => new Promise((ok) => server?.close(ok)));

  it('ingests a step output into a dataset, profiles it, and reuses the version for the same bytes', async () => {
    const dataset = uniqueId('wine');
    const yaml = `
apiVersion: sluice/v1
name: ingest-from-step
steps:
  - id: export
    image: none
    executor: process
    command: [sh, -c, 'printf "${wineCsv().replaceAll('\n', '\\\\n')}" > "$SLUICE_OUTPUTS_DIR/wine.csv"']
    outputs: [wine.csv]
  - id: ingest
    kind: ingest
    source: steps.export.outputs.wine.csv
    dataset: ${dataset}${SCHEMA}
  - id: count
    image: none
    executor: process
    command: [sh, -c, 'test "$(wc -l < "$SLUICE_INPUTS_DIR/data")" -eq 41']
    inputs: { data: steps.ingest.outputs.dataset }
`;
    const first = await run(api.h, yaml);
    expect(first.error).toBeUndefined();
    const ingest = first.status!.steps.find((s) => s.id === 'ingest')!;
    expect(ingest.state).toBe('succeeded');
    expect(ingest.details).toMatchObject({
      dataset,
      version: 1,
      reused: false,
      rows: 40,
      uri: `datasets:/${dataset}/1`,
    });
    expect(ingest.outputs.dataset!.sha256).toBe(
      first.status!.steps.find((s) => s.id === 'export')!.outputs['wine.csv']!.sha256,
    );
    expect(first.status!.steps.find((s) => s.id === 'count')!.state).toBe('succeeded');
    const row = (await getRunSteps(api.h.db, first.runId)).find((s) => s.step_id === 'ingest');
    expect(row).toMatchObject({ status: 'succeeded', details: { dataset, version: 1, reused: false } });

    // The version's lineage and its profile, through the API.
    const version = await api.call('viewer', { method: 'GET', url: `/v1/datasets/${dataset}/versions/1` });
    expect(version.json()).toMatchObject({
      rowCount: 40,
      sourceUri: 'steps.export.outputs.wine.csv',
      lineage: { runId: first.runId, stepId: 'ingest', output: 'dataset' },
    });
    const stats = await api.call('viewer', { method: 'GET', url: `/v1/datasets/${dataset}/versions/1/stats` });
    expect(stats.statusCode, stats.body).toBe(200);
    const cols = Object.fromEntries(
      (stats.json() as { columns: Array<{ name: string }> }).columns.map((c) => [c.name, c]),
    );
    expect(cols.alcohol).toMatchObject({ type: 'number', quantiles: { exact: true } });
    const q = (cols.alcohol as unknown as { quantiles: { edges: number[]; counts: number[] } }).quantiles;
    expect(q.edges).toHaveLength(11);
    expect(q.edges[0]).toBe(11);
    expect(q.edges[10]).toBeCloseTo(14.9);
    expect(q.counts).toEqual(new Array(10).fill(4));
    expect(cols.target).toMatchObject({
      type: 'integer',
      frequencies: {
        values: [
          { value: '0', count: 14 },
          { value: '1', count: 13 },
          { value: '2', count: 13 },
        ],
        otherCount: 0,
      },
    });
    expect(cols.colour).toMatchObject({
      type: 'string',
      frequencies: {
        values: [
          { value: 'red', count: 30 },
          { value: 'white', count: 10 },
        ],
        capped: false,
      },
    });

    const second = await run(api.h, yaml);
    expect(second.error).toBeUndefined();
    expect(second.status!.steps.find((s) => s.id === 'ingest')!.details).toMatchObject({
      dataset,
      version: 1,
      reused: true,
      uri: `datasets:/${dataset}/1`,
    });
    expect(await logOf(api.h, second.runId, 'ingest')).toMatch(
      /same content as datasets:\/.*\/1 .*reusing version 1, no new version/,
    );
    const versions = await api.call('viewer', { method: 'GET', url: `/v1/datasets/${dataset}/versions` });
    expect((versions.json() as { items: unknown[] }).items).toHaveLength(1);
  });

  it('reads a file under an allowed root and refuses one outside it', async () => {
    const dataset = uniqueId('local');
    await mkdir(join(root, 'in'));
    await writeFile(join(root, 'in', 'wine.csv'), wineCsv(12));
    const ok = await run(api.h, ingestSpec('ingest-file', `file:${root}/in/wine.csv`, dataset));
    expect(ok.error).toBeUndefined();
    expect(ok.status!.steps[0]!.details).toMatchObject({ dataset, version: 1, rows: 12, reused: false });
    expect(await logOf(api.h, ok.runId, 'ingest')).toMatch(/read 0\.0 MB, 12 rows, 4 columns/);

    await writeFile(join(outside, 'secret.csv'), wineCsv(3));
    const refused = await run(api.h, ingestSpec('ingest-file', `file://${outside}/secret.csv`, dataset));
    expect(refused.error).toMatch(/step ingest failed: .*secret\.csv is outside the allowed roots/);
    // Nor through a symlink placed inside the root.
    const { symlink } = await import('node:fs/promises');
    await symlink(join(outside, 'secret.csv'), join(root, 'link.csv'));
    const linked = await run(api.h, ingestSpec('ingest-file', `file:${root}/link.csv`, dataset));
    expect(linked.error).toMatch(/outside the allowed roots/);
  });

  it('reads from an allowed HTTP host (following a redirect) and refuses another host', async () => {
    const dataset = uniqueId('web');
    const ok = await run(api.h, ingestSpec('ingest-http', `${base}/moved`, dataset));
    expect(ok.error).toBeUndefined();
    expect(ok.status!.steps[0]!.details).toMatchObject({ dataset, version: 1, rows: 25 });
    const other = base.replace('127.0.0.1', 'localhost');
    const refused = await run(api.h, ingestSpec('ingest-http', `${other}/wine.csv`, dataset));
    expect(refused.error).toMatch(/host localhost:\d+ is not an allowed ingest host/);
    const missing = await run(api.h, ingestSpec('ingest-http', `${base}/nope.csv`, dataset));
    expect(missing.error).toMatch(/answered 404/);
  });

  it('fails on data that does not match the expected schema, naming the column and the first offending row', async () => {
    const dataset = uniqueId('bad');
    const rows = wineCsv(20).split('\n');
    rows[17] = 'abc,1.5,0,red'; // data row 17
    await writeFile(join(root, 'bad.csv'), rows.join('\n'));
    const bad = await run(api.h, ingestSpec('ingest-bad', `file:${root}/bad.csv`, dataset, SCHEMA));
    expect(bad.error).toMatch(/column alcohol, row 17: 'abc' is not a number/);
    const step = bad.status?.steps[0] ?? (await getRunSteps(api.h.db, bad.runId))[0];
    expect(step).toBeDefined();
    expect(await logOf(api.h, bad.runId, 'ingest')).toMatch(/ingest failed: .*column alcohol, row 17/);

    await writeFile(join(root, 'narrow.csv'), 'alcohol,colour\n12.1,red\n');
    const narrow = await run(api.h, ingestSpec('ingest-bad', `file:${root}/narrow.csv`, dataset, SCHEMA));
    expect(narrow.error).toMatch(/column target is missing/);

    const ranged = wineCsv(5).replace('\n11.30,3.5,0,', '\n11.30,3.5,7,');
    await writeFile(join(root, 'ranged.csv'), ranged);
    const out = await run(api.h, ingestSpec('ingest-bad', `file:${root}/ranged.csv`, dataset, SCHEMA));
    expect(out.error).toMatch(/column target, row 4: 7 is above the maximum 2/);
    const versions = await api.call('viewer', { method: 'GET', url: `/v1/datasets/${dataset}/versions` });
    expect(versions.statusCode).toBe(404);
  });
});

describe('the ingest step kind with the S3 artifact store (MinIO)', () => {
  const bucket = uniqueId('ingest').toLowerCase().slice(0, 40);
  const store = new S3ArtifactStore({ client: testS3Client(), bucket, prefix: 'artifacts' });
  const h = useHarness({ artifacts: store });

  beforeAll(async () => {
    await store.ensureBucket();
    await store.client.send(new PutObjectCommand({ Bucket: bucket, Key: 'raw/wine.csv', Body: wineCsv(30) }));
    await h.startInProcessWorker();
  });

  it('ingests an s3:// object with the store credentials, and fails clearly for a missing key', async () => {
    const dataset = uniqueId('s3wine');
    const ok = await run(h, ingestSpec('ingest-s3', `s3://${bucket}/raw/wine.csv`, dataset));
    expect(ok.error).toBeUndefined();
    expect(ok.status!.steps[0]!.details).toMatchObject({ dataset, version: 1, rows: 30, reused: false });
    expect(ok.status!.steps[0]!.outputs.dataset!.uri).toMatch(new RegExp(`^s3://${bucket}/artifacts/sha256/`));
    const missing = await run(h, ingestSpec('ingest-s3', `s3://${bucket}/raw/none.csv`, dataset));
    expect(missing.error).toMatch(/s3:\/\/.*raw\/none\.csv does not exist/);
  });
});
