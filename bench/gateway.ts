/**
 * The inference gateway's cost: a trivial model server (a separate node process, keep-alive,
 * answering a constant prediction) called directly and through the gateway of the real API (this
 * process, PGlite; its Temporal connection is lazy and never used: predictions do not touch
 * Temporal), at the same concurrency, in one run. autocannon fires from a worker thread. Two measurements per path:
 * - saturated: as many requests as the connections carry → throughput (and latency under load);
 * - paced: a fixed total rate well below both ceilings → the latency the gateway adds to a request
 *   that does not queue behind others.
 * The machine's other load moves the latencies; the CPU time per request (this process runs the
 * API and the load generator, the model server runs apart) says what the gateway itself costs.
 * Last, GET /healthz of the same API at the same concurrency: the floor any request pays here.
 * Options: `--connections <n>` (default 16), `--duration <s>` (default 10), `--rate <req/s>` (default 500).
 */
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { buildServer, listen } from '../api/server.js';
import { issueKey } from '../core/access/keys.js';
import { createArtifactStore } from '../core/artifacts/index.js';
import { loadConfig } from '../core/config.js';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FileLogStore } from '../core/logs/index.js';
import { freePort } from '../core/temporal/dev-server.js';

const DEPLOYMENT = 'bench-gateway';
const ROW = { fixed_acidity: 7.4, volatile_acidity: 0.7, citric_acid: 0, residual_sugar: 1.9, alcohol: 9.4 };
const BODY = JSON.stringify({ rows: [ROW] });

/** The model server: its own process, so that the direct path does not share the API's event loop. */
const MODEL_SERVER = `
const http = require('node:http');
const answer = Buffer.from('{"predictions":[5]}');
const server = http.createServer((req, res) => {
  req.on('data', () => {});
  req.on('end', () => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': answer.length });
    res.end(answer);
  });
});
server.keepAliveTimeout = 60000;
server.listen(0, '127.0.0.1', () => console.log(server.address().port));
`;

async function startModelServer(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', MODEL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return { url: `http://127.0.0.1:${line.trim()}`, child };
}

interface Measured {
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  non2xx: number;
  errors: number;
  /** CPU time of this process (API + load generator thread) per request, µs. */
  cpuUsPerRequest: number;
  /** Busy time of the main thread (the API's event loop; the load generator has its own) per request, µs. */
  mainThreadUsPerRequest: number;
}

async function fire(
  url: string,
  headers: Record<string, string>,
  connections: number,
  durationS: number,
  rate?: number,
): Promise<Measured> {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const r = await autocannon({
    url,
    ...(url.endsWith('/healthz')
      ? { method: 'GET' as const }
      : { method: 'POST' as const, body: BODY, headers: { 'content-type': 'application/json', ...headers } }),
    connections,
    workers: 1,
    duration: durationS,
    ...(rate ? { overallRate: rate } : {}),
  });
  return {
    requestsPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    mainThreadUsPerRequest: Math.round(
      (performance.eventLoopUtilization(elu).active * 1000) / Math.max(1, r.requests.total),
    ),
    cpuUsPerRequest: Math.round(((u) => u.user + u.system)(process.cpuUsage(cpu)) / Math.max(1, r.requests.total)),
  };
}

const option = (args: string[], name: string): string | undefined =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined;

export async function run(args: string[]): Promise<void> {
  const connections = Number(option(args, '--connections') ?? 16) || 16;
  const durationS = Number(option(args, '--duration') ?? 10) || 10;
  const rate = Number(option(args, '--rate') ?? 500) || 500;
  const model = await startModelServer();
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-gw-'));
  const config = loadConfig({
    SLUICE_DATA_DIR: dataDir,
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_GATEWAY_CONNECTIONS: String(connections),
  });
  const db = await openDb(dbTarget(config));
  await migrateToLatest(db);
  const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
  const server = await buildServer({
    config,
    db,
    temporal: new Client({ connection }),
    artifacts: createArtifactStore(config.artifacts),
    logs: new FileLogStore(join(dataDir, 'logs')),
  });
  const apiUrl = await listen(server, '127.0.0.1', await freePort());
  try {
    const { key } = await issueKey(db, { name: 'bench', role: 'viewer', scope: { predict: [DEPLOYMENT] } });
    await db
      .insertInto('deployment_routes')
      .values({ deployment: DEPLOYMENT, model: 'wine', version: 1, url: model.url, weight: 100 })
      .execute();
    const direct = `${model.url}/predict`;
    const gateway = `${apiUrl}/v1/deployments/${DEPLOYMENT}/predict`;
    const auth = { authorization: `Bearer ${key}` };
    const probe = await fetch(gateway, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: BODY,
    });
    if (probe.status !== 200) throw new Error(`the gateway does not answer: ${probe.status} ${await probe.text()}`);

    const results: Record<string, Measured> = {};
    for (const mode of ['saturated', 'paced'] as const) {
      for (const [path, url, headers] of [
        ['direct', direct, {}],
        ['gateway', gateway, auth],
      ] as const) {
        await fire(url, headers, connections, 2, mode === 'paced' ? rate : undefined); // warm-up: JIT, pools
        const m = await fire(url, headers, connections, durationS, mode === 'paced' ? rate : undefined);
        results[`${mode}:${path}`] = m;
        process.stdout.write(
          `${JSON.stringify({ case: `gateway-${mode}`, path, connections, ...(mode === 'paced' ? { rate } : {}), durationS, ...m })}\n`,
        );
      }
    }
    // The same API's cheapest route at the same concurrency: what any request costs here before the gateway's work.
    await fire(`${apiUrl}/healthz`, {}, connections, 2);
    const healthz = await fire(`${apiUrl}/healthz`, {}, connections, durationS);
    process.stdout.write(`${JSON.stringify({ case: 'api-healthz-saturated', connections, durationS, ...healthz })}\n`);
    const sat = { d: results['saturated:direct']!, g: results['saturated:gateway']! };
    const paced = { d: results['paced:direct']!, g: results['paced:gateway']! };
    const summary = {
      case: 'gateway-summary',
      cores: availableParallelism(),
      cpu: cpus()[0]?.model,
      node: process.version,
      connections,
      addedP50MsPaced: paced.g.p50Ms - paced.d.p50Ms,
      addedP99MsPaced: paced.g.p99Ms - paced.d.p99Ms,
      addedP50MsSaturated: sat.g.p50Ms - sat.d.p50Ms,
      addedP99MsSaturated: sat.g.p99Ms - sat.d.p99Ms,
      throughputRatio: Number((sat.g.requestsPerSec / sat.d.requestsPerSec).toFixed(3)),
      // The load generator's own share cancels out: what remains is the gateway's CPU per request.
      gatewayCpuUsPerRequest: sat.g.cpuUsPerRequest - sat.d.cpuUsPerRequest,
      gatewayMainThreadUsPerRequest: sat.g.mainThreadUsPerRequest,
      healthzRequestsPerSec: healthz.requestsPerSec,
    };
    const met = {
      p50: summary.addedP50MsPaced <= 2,
      p99: summary.addedP99MsPaced <= 5,
      throughput: summary.throughputRatio >= 0.8,
    };
    process.stdout.write(`${JSON.stringify({ ...summary, targetsMet: met })}\n`);
  } finally {
    await server.close();
    await connection.close().catch(() => {});
    await db.destroy();
    model.child.kill();
    await rm(dataDir, { recursive: true, force: true });
  }
}
