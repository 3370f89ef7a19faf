import { expect } from 'vitest';
import { isActiveRun } from '../../core/runs/status.js';
import type { ApiHarness } from './api.js';
import { waitFor } from './wait.js';

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
  const res = await api.call('operator', {
    method: 'POST',
    url: '/v1/pipelines',
    headers: { 'content-type': 'application/yaml' },
    payload: yaml,
  });
  expect(res.statusCode, res.body).toBeLessThan(300);
  return res.json();
}

export interface RunBody {
  id: string;
  status: string;
  error: string | null;
  retryOf: string | null;
  trigger: string;
  steps: {
    id: string;
    status: string;
    attempt: number;
    startedAt: string | null;
    cacheHit: boolean;
    cachedFromRun: string | null;
    durationMs: number | null;
    outputs: Record<string, { uri: string }>;
    metrics: Record<string, number>;
    error: string | null;
  }[];
}

export async function startRun(
  api: ApiHarness,
  pipeline: string,
  body: Record<string, unknown> = {},
): Promise<RunBody> {
  const res = await api.call('operator', { method: 'POST', url: `/v1/pipelines/${pipeline}/runs`, payload: body });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

/** Polls GET /v1/runs/:id until `done(run)`; fails the test with the last state after `timeoutMs`. */
export async function waitForRun(
  api: ApiHarness,
  id: string,
  done: (r: RunBody) => boolean = (r) => !isActiveRun(r.status),
  timeoutMs = 30_000,
): Promise<RunBody> {
  let last: RunBody | undefined;
  return waitFor(
    () => `run ${id}; last seen: ${JSON.stringify(last)}`,
    async () => {
      const res = await api.call('viewer', { method: 'GET', url: `/v1/runs/${id}` });
      expect(res.statusCode, res.body).toBe(200);
      last = res.json();
      return done(last!) ? last : undefined;
    },
    timeoutMs,
  );
}
