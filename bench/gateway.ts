/**
 * The inference gateway's cost, in one run, at the same concurrency, body and duration for both paths:
 * each model server is called directly and through the gateway of the real API (this process,
 * PGlite; its Temporal connection is lazy and never used: predictions do not touch Temporal).
 * autocannon fires from a worker thread of this process. Two model servers:
 * - `trivial`: a node `http` server in its own process answering a constant prediction, with
 *   keep-alive: the strict case, where the gateway's own HTTP work is as large as the server's;
 * - `serve.py`: the example's real serving script (examples/lifecycle/serve.py) run as the process
 *   executor runs it (its requirements.txt venv, SLUICE_* environment, loopback port) with a small
 *   model (scaled logistic regression on scikit-learn's wine data), one 13-feature row per request:
 *   the server users deploy. Skipped, with the reason printed, when its venv cannot be built.
 * Per server and path: saturated (autocannon: as many requests as the connections carry: throughput,
 * latency under load) and paced (bench/paced-load.ts in its own process: requests evenly spaced at a
 * fixed rate, the same for both paths, at most half of what the server alone carried, latency from
 * the moment each was due: what a request pays at a steady load that does not saturate the server).
 * Then, at the same concurrency: GET /healthz of the API (the floor of its request pipeline), a
 * bare Fastify route in this process (the floor of any Fastify route on this machine right now) and,
 * for the trivial server, a bare node:http proxy in this process forwarding with the gateway's undici
 * pool and nothing else (no routing, auth, validation, statistics): the most any Node proxy in the
 * API's place can carry here.
 * `cpuUsPerRequest` is the CPU time of this process (API + load generator) per request: robust to the
 * machine's other load where latencies are not; its difference between the two paths is the
 * gateway's CPU cost per request (the model server runs apart, the load generator cancels out).
 * Options: `--connections <n>` (16), `--duration <s>` (8), `--rate <req/s>` (500),
 * `--servers trivial,serve.py` (both).
 */
import { Client, Connection } from '@temporalio/client';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import { once } from 'node:events';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { Pool } from 'undici';
import { PythonEnvs } from '../activities/executors/python-env.js';
import { buildServer, listen } from '../api/server.js';
import { issueKey } from '../core/access/keys.js';
import { createArtifactStore } from '../core/artifacts/index.js';
import { loadConfig } from '../core/config.js';
import { dbTarget, openDb } from '../core/db/connect.js';
import { migrateToLatest } from '../core/db/migrate.js';
import { FileLogStore } from '../core/logs/index.js';
import { defaultToolsDir } from '../core/temporal/binary.js';
import { freePort } from '../core/temporal/dev-server.js';
import type { PacedRequest, PacedResult } from './paced-load.js';

const ROW = { fixed_acidity: 7.4, volatile_acidity: 0.7, citric_acid: 0, residual_sugar: 1.9, alcohol: 9.4 };

/** The trivial model server: its own process, so that the direct path does not share the API's event loop. */
const TRIVIAL_SERVER = `
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

/** A model server under test: where it listens, the body it predicts on, how to stop it. */
interface ModelServer {
  name: string;
  url: string;
  body: string;
  stop(): Promise<void>;
}

async function startTrivialServer(): Promise<ModelServer> {
  const child = spawn(process.execPath, ['-e', TRIVIAL_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: child.stdout! }), 'line')) as [string];
  return {
    name: 'trivial',
    url: `http://127.0.0.1:${line.trim()}`,
    body: JSON.stringify({ rows: [ROW] }),
    stop: () => stopChild(child),
  };
}

/** Trains the small model with the venv's scikit-learn and prints one row of the training data. */
const TRAIN = `
import json, pickle, sys
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
x, y = load_wine(return_X_y=True, as_frame=True)
model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000)).fit(x, y)
model.feature_names = list(x.columns)
with open(sys.argv[1] + "/model.pkl", "wb") as f:
    pickle.dump(model, f)
print(json.dumps(x.iloc[0].to_dict()))
`;

/** examples/lifecycle/serve.py as the process executor starts it: its venv first on PATH, the SLUICE_* contract. */
async function startServePy(dataDir: string): Promise<ModelServer> {
  const code = resolve(import.meta.dirname, '../examples/lifecycle');
  const env = await new PythonEnvs(defaultToolsDir()).ensure(code, 'requirements.txt', {
    onLog: (_stream, line) => void process.stderr.write(`${line}\n`),
    signal: AbortSignal.timeout(15 * 60_000),
  });
  if (!env.ok)
    throw new Error(`the venv of examples/lifecycle/requirements.txt could not be built (exit ${env.exitCode})`);
  const bin = join(env.dir, 'bin');
  const modelDir = join(dataDir, 'model');
  await mkdir(modelDir, { recursive: true });
  const { stdout } = await promisify(execFile)(join(bin, 'python'), ['-c', TRAIN, modelDir]);
  const row = JSON.parse(stdout.trim()) as Record<string, number>;
  const port = await freePort();
  const child = spawn('python3', ['serve.py'], {
    cwd: code,
    env: {
      ...process.env,
      PATH: `${bin}:${process.env.PATH ?? ''}`,
      VIRTUAL_ENV: env.dir,
      SLUICE_MODEL_DIR: modelDir,
      SLUICE_MODEL_NAME: 'wine',
      SLUICE_MODEL_VERSION: '1',
      SLUICE_PORT: String(port),
    },
    // Its stderr is kept for a failed start only: when autocannon stops mid-request, serve.py prints
    // a BrokenPipeError traceback per connection it was still answering.
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => void (stderr = (stderr + c.toString()).slice(-2000)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve.py exited (${child.exitCode}) before it was ready: ${stderr}`);
    const ready = await fetch(`${url}/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ready) break;
    if (Date.now() > deadline) {
      await stopChild(child);
      throw new Error(`serve.py was not ready within 120 s: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { name: 'serve.py', url, body: JSON.stringify({ rows: [row] }), stop: () => stopChild(child) };
}

/** Waits until the gateway answers a fresh prediction, then a second more for requests still on their way. */
async function drain(gateway: Target, body: string): Promise<void> {
  await fetch(gateway.url, {
    method: 'POST',
    headers: { ...gateway.headers, 'content-type': 'application/json' },
    body,
  });
  await new Promise((r) => setTimeout(r, 1000));
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = once(child, 'exit');
  child.kill('SIGTERM');
  await gone;
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
  /** Paced only: the generator's own lateness, p99 (ms). */
  sendLagP99Ms?: number;
}

/** GET `url` without a body, else POST the body as JSON. */
interface Target {
  url: string;
  body?: string;
  headers?: Record<string, string>;
}

/** What a load generator reports; `costed` adds this process's share. */
type Load = Omit<Measured, 'cpuUsPerRequest' | 'mainThreadUsPerRequest'>;

/** Runs a load and adds this process's CPU and main-thread time per request during it. */
async function costed(load: () => Promise<Load>): Promise<Measured> {
  const cpu = process.cpuUsage();
  const elu = performance.eventLoopUtilization();
  const r = await load();
  const n = Math.max(1, r.requests);
  return {
    ...r,
    mainThreadUsPerRequest: Math.round((performance.eventLoopUtilization(elu).active * 1000) / n),
    cpuUsPerRequest: Math.round(((u) => u.user + u.system)(process.cpuUsage(cpu)) / n),
  };
}

/** autocannon in a worker thread of this process: as many requests as the connections carry. */
async function saturated(t: Target, connections: number, durationS: number): Promise<Load> {
  const r = await autocannon({
    url: t.url,
    ...(t.body === undefined
      ? { method: 'GET' as const }
      : { method: 'POST' as const, body: t.body, headers: { 'content-type': 'application/json', ...t.headers } }),
    connections,
    workers: 1,
    duration: durationS,
  });
  return {
    requestsPerSec: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
  };
}

/** bench/paced-load.ts in its own process (its CPU is not this process's): evenly spaced requests at `rate`. */
async function paced(t: Target, connections: number, durationS: number, rate: number): Promise<Load> {
  const req: PacedRequest = { url: t.url, body: t.body, headers: t.headers, rate, durationS, connections };
  const script = resolve(import.meta.dirname, 'paced-load.ts');
  const child = spawn(process.execPath, [...process.execArgv, script, JSON.stringify(req)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => void (out += c.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`bench/paced-load.ts exited with ${code}`);
  return JSON.parse(out) as PacedResult;
}

const option = (args: string[], name: string): string | undefined =>
  args.includes(name) ? args[args.indexOf(name) + 1] : undefined;

const print = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

/** Warms up (2 s: JIT, pools), then measures: saturated, or paced when `rate` is given. */
async function measure(t: Target, connections: number, durationS: number, rate?: number): Promise<Measured> {
  const run = (d: number) =>
    costed(() => (rate === undefined ? saturated(t, connections, d) : paced(t, connections, d, rate)));
  await run(2);
  return run(durationS);
}

interface Options {
  connections: number;
  durationS: number;
  rate: number;
}

/** One model server, directly and through the gateway: saturated, then paced; its summary line last. */
async function benchServer(server: ModelServer, gateway: Target, o: Options): Promise<void> {
  const direct: Target = { url: `${server.url}/predict`, body: server.body };
  const via: Target = { ...gateway, body: server.body };
  const base = { server: server.name, connections: o.connections, durationS: o.durationS };
  const sat = {
    d: await measure(direct, o.connections, o.durationS),
    g: await measure(via, o.connections, o.durationS),
  };
  print({ case: 'gateway-saturated', ...base, path: 'direct', ...sat.d });
  print({ case: 'gateway-saturated', ...base, path: 'gateway', ...sat.g });
  let floorRatio: number | undefined;
  if (server.name === 'trivial') {
    const floor = await nodeProxyFloor(server, o);
    floorRatio = Number((floor.requestsPerSec / Math.max(1, sat.d.requestsPerSec)).toFixed(3));
    print({
      case: 'node-proxy-floor-saturated',
      ...base,
      path: 'bare node proxy',
      ...floor,
      throughputRatio: floorRatio,
    });
  }
  // Paced below what the server alone carries, or the rate would measure queueing, not the gateway.
  const rate = Math.max(1, Math.min(o.rate, Math.floor(sat.d.requestsPerSec / 2)));
  const paced = {
    d: await measure(direct, o.connections, o.durationS, rate),
    g: await measure(via, o.connections, o.durationS, rate),
  };
  print({ case: 'gateway-paced', ...base, rate, path: 'direct', ...paced.d });
  print({ case: 'gateway-paced', ...base, rate, path: 'gateway', ...paced.g });
  const summary = {
    case: 'gateway-summary',
    server: server.name,
    connections: o.connections,
    pacedRate: rate,
    addedP50MsPaced: Number((paced.g.p50Ms - paced.d.p50Ms).toFixed(2)),
    addedP99MsPaced: Number((paced.g.p99Ms - paced.d.p99Ms).toFixed(2)),
    addedP50MsSaturated: sat.g.p50Ms - sat.d.p50Ms,
    addedP99MsSaturated: sat.g.p99Ms - sat.d.p99Ms,
    throughputRatio: Number((sat.g.requestsPerSec / Math.max(1, sat.d.requestsPerSec)).toFixed(3)),
    ...(floorRatio === undefined ? {} : { nodeProxyFloorThroughputRatio: floorRatio }),
    directCpuUsPerRequest: sat.d.cpuUsPerRequest,
    gatewayPathCpuUsPerRequest: sat.g.cpuUsPerRequest,
    // The load generator's own share cancels out: what remains is the gateway's CPU per request.
    gatewayCpuUsPerRequest: sat.g.cpuUsPerRequest - sat.d.cpuUsPerRequest,
    gatewayMainThreadUsPerRequest: sat.g.mainThreadUsPerRequest,
    errors: sat.d.errors + sat.g.errors + paced.d.errors + paced.g.errors,
    non2xx: sat.d.non2xx + sat.g.non2xx + paced.d.non2xx + paced.g.non2xx,
  };
  const targetsMet = {
    p50: summary.addedP50MsPaced <= 2,
    p99: summary.addedP99MsPaced <= 5,
    throughput: summary.throughputRatio >= 0.8,
  };
  print({ ...summary, targetsMet });
}

/**
 * The ceiling of any Node proxy in the API's place: a bare node:http server in this process that
 * forwards each POST to the model server through an undici pool like the gateway's and copies the
 * answer back; no routing, auth, validation, statistics or logging.
 */
async function nodeProxyFloor(server: ModelServer, o: Options): Promise<Measured> {
  const pool = new Pool(server.url, { connections: o.connections, keepAliveTimeout: 30_000 });
  const proxy = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      pool
        .request({
          path: '/predict',
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: Buffer.concat(chunks),
        })
        .then(async (up) => {
          const text = await up.body.text();
          res.writeHead(up.statusCode, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(text),
          });
          res.end(text);
        })
        .catch(() => {
          res.writeHead(502).end();
        });
    });
  });
  proxy.keepAliveTimeout = 60_000;
  const port = await freePort();
  await new Promise<void>((r) => proxy.listen(port, '127.0.0.1', r));
  try {
    return await measure({ url: `http://127.0.0.1:${port}/predict`, body: server.body }, o.connections, o.durationS);
  } finally {
    proxy.closeAllConnections();
    await new Promise((r) => proxy.close(r));
    await pool.close();
  }
}

/** A bare Fastify route in this process at the same concurrency: what any Fastify route costs here, now. */
async function fastifyFloor(o: Options): Promise<Measured> {
  const bare = Fastify({ logger: false });
  bare.get('/healthz', async () => ({ status: 'ok' }));
  const url = await bare.listen({ host: '127.0.0.1', port: await freePort() });
  try {
    return await measure({ url: `${url}/healthz` }, o.connections, o.durationS);
  } finally {
    await bare.close();
  }
}

const SERVERS: Record<string, (dataDir: string) => Promise<ModelServer>> = {
  trivial: () => startTrivialServer(),
  'serve.py': startServePy,
};

export async function run(args: string[]): Promise<void> {
  const o: Options = {
    connections: Number(option(args, '--connections') ?? 16) || 16,
    durationS: Number(option(args, '--duration') ?? 8) || 8,
    rate: Number(option(args, '--rate') ?? 500) || 500,
  };
  const names = (option(args, '--servers') ?? Object.keys(SERVERS).join(',')).split(',');
  for (const n of names)
    if (!SERVERS[n]) throw new Error(`--servers: no model server "${n}" (${Object.keys(SERVERS)})`);
  print({
    case: 'gateway-machine',
    cores: availableParallelism(),
    cpu: cpus()[0]?.model,
    node: process.version,
    loadAverage: loadavg().map((l) => Number(l.toFixed(2))),
    at: new Date().toISOString(),
  });
  const dataDir = await mkdtemp(join(tmpdir(), 'sluice-bench-gw-'));
  const config = loadConfig({
    SLUICE_DATA_DIR: dataDir,
    SLUICE_LOG_LEVEL: 'warn',
    SLUICE_GATEWAY_CONNECTIONS: String(o.connections),
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
    const deployments = names.map((n) => `bench-${n.replace(/[^a-z0-9]/g, '-')}`);
    const { key } = await issueKey(db, { name: 'bench', role: 'viewer', scope: { predict: deployments } });
    const auth = { authorization: `Bearer ${key}` };
    for (const [i, name] of names.entries()) {
      let model: ModelServer;
      try {
        model = await SERVERS[name]!(dataDir);
      } catch (err) {
        print({ case: 'gateway-skipped', server: name, reason: err instanceof Error ? err.message : String(err) });
        continue;
      }
      try {
        const deployment = deployments[i]!;
        await db
          .insertInto('deployment_routes')
          .values({ deployment, model: 'wine', version: 1, url: model.url, weight: 100 })
          .execute();
        const gateway = { url: `${apiUrl}/v1/deployments/${deployment}/predict`, headers: auth };
        const probe = await fetch(gateway.url, {
          method: 'POST',
          headers: { ...auth, 'content-type': 'application/json' },
          body: model.body,
        });
        if (probe.status !== 200)
          throw new Error(`the gateway does not answer for ${name}: ${probe.status} ${await probe.text()}`);
        await benchServer(model, gateway, o);
        // autocannon stops mid-request: let the gateway's last forwards finish before the server goes.
        await drain(gateway, model.body);
      } finally {
        await model.stop();
      }
    }
    // The same API's cheapest route, and a bare Fastify route: what any request costs here before the gateway's work.
    const healthz = await measure({ url: `${apiUrl}/healthz` }, o.connections, o.durationS);
    print({ case: 'api-healthz-saturated', connections: o.connections, durationS: o.durationS, ...healthz });
    const floor = await fastifyFloor(o);
    print({ case: 'fastify-floor-saturated', connections: o.connections, durationS: o.durationS, ...floor });
    print({ case: 'gateway-machine-after', loadAverage: loadavg().map((l) => Number(l.toFixed(2))) });
  } finally {
    await server.close();
    await connection.close().catch(() => {});
    await db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  }
}
