import { trace } from '@opentelemetry/api';
import type { ChildProcess } from 'node:child_process';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { issueKey } from '../core/access/keys.js';
import { loadConfig } from '../core/config.js';
import { openTracing } from '../core/telemetry/index.js';
import { freePort } from '../core/temporal/dev-server.js';
import { createApi } from './support/api.js';
import { killNow, spawnApiProcess } from './support/api-process.js';
import { currentSchema, dbTargets, openMigrated, type OpenedDb } from './support/databases.js';
import { createHarness, type Harness } from './support/harness.js';
import { testServices, uniqueId } from './support/services.js';
import { waitFor } from './support/wait.js';
import { spawnWorkerProcess } from './support/worker-process.js';

// The API and a worker, each its own process as in production, export OTLP/HTTP to a receiver in this
// test; one POST that starts a run yields one trace from the HTTP request through the workflow to the
// activities. Both processes batch with a ten-minute delay, so the spans arrive only because stopping
// them flushes the exporter.

interface ReceivedSpan {
  service: string;
  resource: Record<string, string | number | boolean>;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
  attributes: Record<string, string | number | boolean>;
}

type OtlpValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type OtlpAttrs = Array<{ key: string; value: OtlpValue }>;
interface OtlpTraces {
  resourceSpans: Array<{
    resource: { attributes: OtlpAttrs };
    scopeSpans: Array<{
      spans: Array<{
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes: OtlpAttrs;
      }>;
    }>;
  }>;
}

const attrs = (a: OtlpAttrs | undefined) =>
  Object.fromEntries(
    (a ?? []).map(({ key, value }) => [
      key,
      value.stringValue ??
        (value.intValue !== undefined ? Number(value.intValue) : (value.boolValue ?? value.doubleValue!)),
    ]),
  );

/** An OTLP/HTTP traces receiver (the JSON encoding, which @opentelemetry/exporter-trace-otlp-http sends). */
async function startReceiver(): Promise<{ url: string; spans: ReceivedSpan[]; requests: string[]; server: Server }> {
  const spans: ReceivedSpan[] = [];
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push(`${req.method} ${req.url} ${req.headers['content-type']}`);
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const doc = JSON.parse(body.toString('utf8')) as OtlpTraces;
      for (const rs of doc.resourceSpans) {
        const resource = attrs(rs.resource.attributes);
        const service = String(resource['service.name']);
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            spans.push({
              service,
              resource,
              traceId: s.traceId,
              spanId: s.spanId,
              parentSpanId: s.parentSpanId ?? '',
              name: s.name,
              kind: s.kind,
              attributes: attrs(s.attributes),
            });
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, requests, server };
}

const exited = (p: ChildProcess) =>
  p.exitCode !== null || p.signalCode !== null ? Promise.resolve() : new Promise((r) => p.once('exit', r));

describe('OpenTelemetry tracing from the API through the workflow to the activities', () => {
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let pg: OpenedDb;
  let h: Harness;
  let dir: string;
  let api: ChildProcess | undefined;
  let worker: ChildProcess | undefined;

  beforeAll(async () => {
    receiver = await startReceiver();
    pg = await openMigrated(dbTargets().find((t) => t.name === 'postgres')!);
    h = await createHarness({ db: pg.db });
    dir = await mkdtemp(join(tmpdir(), 'sluice-tracing-'));
    await chmod(dir, 0o755); // process steps run as an unprivileged user, who must reach their work dir
  }, 120_000);

  afterAll(async () => {
    if (api) await killNow(api);
    if (worker) await killNow(worker);
    await h?.close();
    await pg?.close();
    await new Promise((r) => receiver?.server.close(r));
    if (dir) await rm(dir, { recursive: true, force: true });
  }, 60_000);

  it('one trace: request → StartWorkflow → RunWorkflow → StartActivity → RunActivity, flushed at shutdown', async () => {
    const schema = await currentSchema(pg.db);
    const shared = {
      SLUICE_TEMPORAL_ADDRESS: inject('temporalAddress'),
      SLUICE_TASK_QUEUE: h.taskQueue,
      DATABASE_URL: testServices.postgresUrl,
      SLUICE_DB_SCHEMA: schema,
      SLUICE_LOG_LEVEL: 'warn',
      SLUICE_POLICY_EXECUTORS: 'docker,process',
      OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
      // Nothing is exported on a timer during the test: only the flush at shutdown sends spans.
      OTEL_BSP_SCHEDULE_DELAY: '600000',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=tracing-test',
    };
    worker = await spawnWorkerProcess({
      ...shared,
      SLUICE_DATA_DIR: join(dir, 'worker'),
      SLUICE_EXECUTOR: 'process',
    });
    const port = await freePort();
    api = await spawnApiProcess(
      { ...shared, SLUICE_DATA_DIR: join(dir, 'api'), SLUICE_RATE_LIMIT_PER_MINUTE: '0' },
      port,
    );
    const key = (await issueKey(pg.db, { name: 'tracing', role: 'operator' })).key;
    const call = (method: string, path: string, body: string, headers: Record<string, string>) =>
      fetch(`http://127.0.0.1:${port}/v1${path}`, {
        method,
        headers: { authorization: `Bearer ${key}`, ...headers },
        body,
      });

    const name = uniqueId('traced');
    const applied = await call(
      'POST',
      '/pipelines',
      `
apiVersion: sluice/v1
name: ${name}
steps:
  - { id: prepare, image: none, executor: process, command: [sh, -c, 'echo ready'] }
  - { id: train, image: none, command: [sh, -c, 'echo trained'], dependsOn: [prepare] }
`,
      { 'content-type': 'application/yaml' },
    );
    expect(applied.status, await applied.text()).toBeLessThan(300);

    // The caller's own trace: the API continues it (W3C traceparent) instead of starting a new one.
    const callerTrace = '5b8efff798038103d269b633813fc60c';
    const callerSpan = 'eee19b7ec3c1b174';
    const started = await call('POST', `/pipelines/${name}/runs`, '{}', {
      'content-type': 'application/json',
      traceparent: `00-${callerTrace}-${callerSpan}-01`,
    });
    const run = (await started.json()) as { id: string; workflowId: string };
    expect(started.status, JSON.stringify(run)).toBe(201);
    await h.client.workflow.getHandle(run.workflowId).result();

    // Stopping flushes: the API on SIGTERM (server close, then the provider), the worker once it has shut down.
    const stopped = Promise.all([exited(api), exited(worker)]);
    api.kill('SIGTERM');
    worker.kill('SIGTERM');
    await stopped;
    expect([api.exitCode, worker.exitCode]).toEqual([0, 0]);

    const inTrace = await waitFor(
      () => `the run's spans; received: ${JSON.stringify(receiver.spans.map((s) => [s.service, s.name]))}`,
      () => {
        const t = receiver.spans.filter((s) => s.traceId === callerTrace);
        return t.filter((s) => s.name === 'RunActivity:executeStep').length === 2 ? t : undefined;
      },
      60_000,
    );
    expect(
      receiver.requests.every((r) => r.startsWith('POST /v1/traces application/json')),
      receiver.requests.join(),
    ).toBe(true);
    const byId = new Map(inTrace.map((s) => [s.spanId, s]));
    const one = (spanName: string) => {
      const found = inTrace.filter((s) => s.name === spanName);
      expect(found, spanName).toHaveLength(1);
      return found[0]!;
    };
    /** The names from a span up to the trace's root, each a parent of the one before. */
    const chain = (s: ReceivedSpan): string[] => {
      const names = [`${s.service} ${s.name}`];
      for (let p = byId.get(s.parentSpanId); p; p = byId.get(p.parentSpanId)) names.push(`${p.service} ${p.name}`);
      return names;
    };

    const request = one(`POST /v1/pipelines/:name/runs`);
    expect(request).toMatchObject({ service: 'sluice-api', kind: 2 /* SERVER */, parentSpanId: callerSpan });
    expect(request.attributes['http.route']).toBe('/v1/pipelines/:name/runs');
    const startSpan = one('StartWorkflow:runPipeline');
    expect(startSpan.attributes).toMatchObject({
      temporalWorkflowId: run.workflowId,
      'sluice.run_id': run.id,
      'sluice.pipeline': name,
    });
    const runSpan = one('RunWorkflow:runPipeline');
    for (const s of [request, runSpan]) expect(s.resource['deployment.environment'], s.name).toBe('tracing-test');
    expect(runSpan.attributes).toMatchObject({ 'sluice.run_id': run.id, 'sluice.pipeline': name });

    const activities = inTrace.filter((s) => s.name === 'RunActivity:executeStep');
    expect(activities.map((a) => a.attributes['sluice.step_id']).sort()).toEqual(['prepare', 'train']);
    for (const a of activities) {
      expect(a.attributes).toMatchObject({
        'sluice.run_id': run.id,
        'sluice.pipeline': name,
        'sluice.executor': 'process',
      });
      const names = chain(a);
      expect(names[0]).toBe('sluice-worker RunActivity:executeStep');
      expect(names[1]).toBe('sluice-worker StartActivity:executeStep');
      expect(names).toContain('sluice-worker RunWorkflow:runPipeline');
      expect(names).toContain('sluice-api StartWorkflow:runPipeline');
      // The top is the API's request span, whose parent is the caller's (not received: it is the caller's own).
      expect(names.at(-1)).toBe('sluice-api POST /v1/pipelines/:name/runs');
      expect(names.indexOf('sluice-worker RunWorkflow:runPipeline')).toBeLessThan(
        names.indexOf('sluice-api StartWorkflow:runPipeline'),
      );
    }
    // Probes are not traced.
    expect(receiver.spans.filter((s) => String(s.attributes['url.path'] ?? '').startsWith('/healthz'))).toEqual([]);
  }, 300_000);

  it('with no endpoint configured no provider is registered and nothing is instrumented', async () => {
    const config = loadConfig({ SLUICE_DATA_DIR: dir });
    expect(config.tracing).toBeUndefined();
    expect(await openTracing(config, 'sluice-api')).toBeUndefined();
    // The SDK's own switch wins over an endpoint.
    expect(
      loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SDK_DISABLED: 'true' }).tracing,
    ).toBeUndefined();
    const api = await createApi(h);
    expect(api.app.hasPlugin('@fastify/otel')).toBe(false);
    expect((await api.call('viewer', { method: 'GET', url: '/v1/pipelines' })).statusCode).toBe(200);
    // This process never started tracing: the global provider is still the API's no-op, whose spans record nothing.
    const span = trace.getTracer('probe').startSpan('probe');
    expect(span.isRecording()).toBe(false);
    expect(trace.isSpanContextValid(span.spanContext())).toBe(false);
    span.end();
    // Nor was any of it loaded: the SDK, the exporter, @fastify/otel and Temporal's interceptors are CommonJS,
    // so a module of theirs that had been loaded would be in the require cache.
    const loaded = Object.keys(createRequire(import.meta.url).cache).filter((m) =>
      /@opentelemetry[\\/](sdk-|exporter-|resources|instrumentation)|@fastify[\\/]otel|interceptors-opentelemetry/.test(
        m,
      ),
    );
    expect(loaded).toEqual([]);
    // The probe above would see them if they were: this very file's dependencies are cached.
    expect(Object.keys(createRequire(import.meta.url).cache).some((m) => m.includes('@temporalio/client'))).toBe(true);
  }, 120_000);
});
