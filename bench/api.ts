/**
 * HTTP API throughput on the embedded stack: GET run by id, GET runs list, POST run start.
 * The stack (Temporal dev server, PGlite, worker, API) runs in this process; autocannon fires
 * from a worker thread over loopback so the load generator does not share the API's event loop.
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import autocannon from 'autocannon';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../core/config.js';
import { freePort } from '../core/temporal/dev-server.js';
import { startStack } from '../workers/stack.js';

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

export async function run(args: string[]): Promise<void> {
  const durationS = Number(args[args.indexOf('--duration') + 1] || 10) || 10;
  Runtime.install({ logger: new DefaultLogger('WARN') });
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
    for (const c of cases) {
      if (!c.amount) await fire(stack.apiUrl, key, c, 2); // warm-up: JIT, caches, connection pool
      const r = await fire(stack.apiUrl, key, c, durationS);
      process.stdout.write(
        `${JSON.stringify({
          case: c.name,
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
