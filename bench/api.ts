/**
 * HTTP API throughput on the embedded stack: GET run by id, GET runs list, POST run start, on
 * PGlite and on PostgreSQL (a fresh schema). The stack (Temporal dev server, database, worker,
 * API) runs in this process; autocannon fires from a worker thread over loopback so the load
 * generator does not share the API's event loop.
 * Options: `--db pglite|postgres` (default both), `--cases list-runs,get-run` (default all),
 * `--duration <s>`.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import autocannon from 'autocannon';
import pg from 'pg';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { startStack } from '../workers/stack.js';
import { testServices } from '../test/support/services.js';

const CONNECTIONS = 64;
const SEEDED_RUNS = 300;
const STARTS = 1000;
const PIPELINE = 'bench-noop';
const STEPS = ['prepare', 'train', 'evaluate'];

const SPEC = `apiVersion: sluice/v1
name: ${PIPELINE}
steps:
${STEPS.map(
  (id, i) => `  - id: ${id}
    image: none
    command: [sh, -c, 'echo ${id} > "$SLUICE_OUTPUTS_DIR/out"; echo "{\\"score\\": 0.9${i}}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    outputs: [out]${i ? `\n    dependsOn: [${STEPS[i - 1]}]` : ''}`,
).join('\n')}
`;

const log = (m: string) => process.stderr.write(`[bench api] ${m}\n`);

interface Case {
  name: string;
  requests: autocannon.Request[];
  /** Fixed number of requests instead of a duration (each POST starts a real workflow). */
  amount?: number;
}

async function fire(url: string, key: string, c: Case, durationS: number): Promise<autocannon.Result> {
  return autocannon({
    url,
    connections: CONNECTIONS,
    workers: 1,
    requests: c.requests,
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    ...(c.amount ? { amount: c.amount } : { duration: durationS }),
  });
}

/** Real runs through the API (the stack's PGlite belongs to it alone); they finish in seconds as cache hits. */
async function seed(api: string, key: string): Promise<string[]> {
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const ids: string[] = [];
  for (let i = 0; i < SEEDED_RUNS; i += 20) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(20, SEEDED_RUNS - i) }, async () => {
        const res = await fetch(`${api}/v1/pipelines/${PIPELINE}/runs`, {
          method: 'POST',
          headers,
          body: '{"params":{}}',
        });
        if (res.status !== 201) throw new Error(`seeding failed: ${await res.text()}`);
        return ((await res.json()) as { id: string }).id;
      }),
    );
    ids.push(...batch);
  }
  for (;;) {
    const res = await fetch(`${api}/v1/runs?pipeline=${PIPELINE}&status=succeeded&limit=200`, { headers });
    const page = (await res.json()) as { items: unknown[]; nextCursor: string | null };
    const running = await fetch(`${api}/v1/runs?pipeline=${PIPELINE}&status=running&limit=1`, { headers });
    const pending = await fetch(`${api}/v1/runs?pipeline=${PIPELINE}&status=pending&limit=1`, { headers });
    const active =
      ((await running.json()) as { items: unknown[] }).items.length +
      ((await pending.json()) as { items: unknown[] }).items.length;
    if (active === 0) break;
    log(`waiting for seeded runs to finish (${page.items.length}${page.nextCursor ? '+' : ''} done)`);
    await new Promise((r) => setTimeout(r, 2000));
  }
  return ids;
}

const option = (args: string[], name: string): string | undefined =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined;

export async function run(args: string[]): Promise<void> {
  const durationS = Number(option(args, '--duration') ?? 10) || 10;
  const only = option(args, '--cases')?.split(',');
  const dbs = option(args, '--db')?.split(',') ?? ['pglite', 'postgres'];
  Runtime.install({ logger: new DefaultLogger('WARN') });
  for (const db of dbs) {
    if (db === 'pglite') await benchOn('pglite', {}, durationS, only);
    else if (db === 'postgres') await onFreshSchema((env) => benchOn('postgres', env, durationS, only));
    else throw new Error(`--db: unknown database ${db} (pglite or postgres)`);
  }
}

async function onFreshSchema(fn: (env: Record<string, string>) => Promise<void>): Promise<void> {
  const url = testServices.postgresUrl;
  const schema = `bench_api_${Date.now().toString(36)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  try {
    await fn({ DATABASE_URL: url, SLUICE_DB_SCHEMA: schema });
  } finally {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.end();
  }
}

async function benchOn(
  dbName: string,
  env: Record<string, string>,
  durationS: number,
  only: string[] | undefined,
): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  const config = loadConfig({
    ...process.env,
    SLUICE_DATA_DIR: dataDir,
    SLUICE_PORT: String(await freePort()),
    SLUICE_TEMPORAL_PORT: String(await freePort()),
    SLUICE_TEMPORAL_UI_PORT: String(await freePort()),
    SLUICE_EXECUTOR: 'process',
    // Steps run as this (root) test process: its temp data dir is 0700, out of reach of a step user.
    SLUICE_POLICY_ALLOW_ROOT: 'true',
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_TASK_QUEUE: `bench-${Date.now()}`,
    SLUICE_RATE_LIMIT_PER_MINUTE: '0',
    ...env,
  });
  const stack = await startStack(config, log);
  try {
    const key = (await readFile(join(dataDir, 'admin.key'), 'utf8')).trim();
    const applied = await fetch(`${stack.apiUrl}/v1/pipelines`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/yaml' },
      body: SPEC,
    });
    if (applied.status !== 201) throw new Error(`could not apply the bench pipeline: ${await applied.text()}`);
    const ids = await seed(stack.apiUrl, key);
    log(`seeded ${ids.length} finished runs of ${STEPS.length} steps each`);

    const cases: Case[] = [
      { name: 'get-run', requests: ids.map((id) => ({ method: 'GET', path: `/v1/runs/${id}` })) },
      { name: 'list-runs', requests: [{ method: 'GET', path: `/v1/runs?pipeline=${PIPELINE}&limit=50` }] },
      {
        name: 'start-run',
        amount: STARTS,
        requests: [{ method: 'POST', path: `/v1/pipelines/${PIPELINE}/runs`, body: '{"params":{}}' }],
      },
    ];
    for (const c of cases.filter((x) => !only || only.includes(x.name))) {
      if (!c.amount) await fire(stack.apiUrl, key, c, 2); // warm-up: JIT, caches, connection pool
      const r = await fire(stack.apiUrl, key, c, durationS);
      process.stdout.write(
        `${JSON.stringify({
          case: c.name,
          db: dbName,
          connections: CONNECTIONS,
          cores: availableParallelism(),
          durationS: Number(r.duration.toFixed(1)),
          requests: r.requests.total,
          requestsPerSec: Math.round(r.requests.average),
          p50Ms: r.latency.p50,
          p99Ms: r.latency.p99,
          non2xx: r.non2xx,
          errors: r.errors,
        })}\n`,
      );
    }
  } finally {
    log('stopping the stack (waits for the started runs’ steps)');
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}
