import { expect } from 'vitest';
import type { ApiHarness } from './api.js';

/** A process pipeline: `a` writes a greeting and a metric; `b` copies it, but only once the file `flag` exists. */
export function flagPipeline(name: string): string {
  return `
apiVersion: sluice/v1
name: ${name}
params:
  greeting: { type: string, default: hello }
  flag: { type: string, default: /nonexistent }
steps:
  - id: a
    image: none
    command: [sh, -c, 'echo "$G" > "$SLUICE_OUTPUTS_DIR/text"; echo "{\\"n\\": 2}" > "$SLUICE_OUTPUTS_DIR/metrics.json"']
    env: { G: "\${params.greeting}" }
    outputs: [text]
  - id: b
    image: none
    command: [sh, -c, 'test -f "$FLAG" || { echo "no flag at $FLAG" >&2; exit 3; }; cat "$SLUICE_INPUTS_DIR/text" > "$SLUICE_OUTPUTS_DIR/out"']
    env: { FLAG: "\${params.flag}" }
    inputs: { text: steps.a.outputs.text }
    outputs: [out]
`;
}

export async function apply(api: ApiHarness, yaml: string): Promise<{ pipeline: string; version: number }> {
  const res = await api.call('operator', { method: 'POST', url: '/v1/pipelines', headers: { 'content-type': 'application/yaml' }, payload: yaml });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

export interface RunBody {
  id: string;
  status: string;
  error: string | null;
  retryOf: string | null;
  trigger: string;
  steps: { id: string; status: string; attempt: number; startedAt: string | null; cacheHit: boolean; cachedFromRun: string | null; durationMs: number | null;
    outputs: Record<string, { uri: string }>; metrics: Record<string, number>; error: string | null }[];
}

export async function startRun(api: ApiHarness, pipeline: string, body: Record<string, unknown> = {}): Promise<RunBody> {
  const res = await api.call('operator', { method: 'POST', url: `/v1/pipelines/${pipeline}/runs`, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Polls GET /v1/runs/:id until `done(run)`; fails the test with the last state after `timeoutMs`. */
export async function waitForRun(api: ApiHarness, id: string, done: (r: RunBody) => boolean = (r) => !['pending', 'running'].includes(r.status), timeoutMs = 30_000): Promise<RunBody> {
  const deadline = Date.now() + timeoutMs;
  let last: RunBody | undefined;
  while (Date.now() < deadline) {
    const res = await api.call('viewer', { method: 'GET', url: `/v1/runs/${id}` });
    expect(res.statusCode, res.body).toBe(200);
    last = res.json();
    if (done(last!)) return last!;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`run ${id} did not get there in ${timeoutMs} ms; last seen: ${JSON.stringify(last)}`);
}

export async function until<T>(what: string, f: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export interface SseEvent { event: string; data: string; id?: string; at: number }

/** Reads Server-Sent Events from a fetch response until the stream ends or `stop` says so. */
export async function readSse(res: Response, stop: (e: SseEvent) => boolean = () => false): Promise<SseEvent[]> {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buf = '';
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    buf += decoder.decode(chunk, { stream: true });
    let sep;
    while ((sep = buf.indexOf('\n\n')) !== -1) {
      const frame = buf.slice(0, sep);
      buf = buf.slice(sep + 2);
      const e: SseEvent = { event: 'message', data: '', at: Date.now() };
      for (const line of frame.split('\n')) {
        if (line.startsWith(':')) continue;
        const [k, ...rest] = line.split(':');
        const v = rest.join(':').replace(/^ /, '');
        if (k === 'event') e.event = v;
        else if (k === 'data') e.data += v;
        else if (k === 'id') e.id = v;
      }
      if (frame.split('\n').every((l) => l.startsWith(':'))) continue;
      events.push(e);
      if (stop(e)) return events;
    }
  }
  return events;
}
