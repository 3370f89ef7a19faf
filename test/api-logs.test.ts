import { beforeAll, describe, expect, it } from 'vitest';
import { useApi } from './support/api.js';
import { apply, startRun, waitForRun } from './support/api-runs.js';
import { readSse } from './support/sse.js';

const chatty = `
apiVersion: sluice/v1
name: chatty
steps:
  - id: talk
    image: none
    command: [sh, -c, 'for i in 1 2 3 4 5 6; do echo "line $i"; sleep 0.3; done; echo "to stderr" >&2']
`;

describe('step logs', () => {
  let base: string;
  const api = useApi({ worker: true });
  beforeAll(async () => {
    base = await api.app.listen({ host: '127.0.0.1', port: 0 });
    await apply(api, chatty);
  });

  const follow = (runId: string, headers: Record<string, string> = {}, signal?: AbortSignal) =>
    fetch(`${base}/v1/runs/${runId}/steps/talk/logs?follow=true`, {
      headers: { authorization: `Bearer ${api.keys.viewer}`, ...headers },
      signal,
    });

  it('follows a running step live over Server-Sent Events, then resumes from Last-Event-ID', async () => {
    const run = await startRun(api, 'chatty');
    const res = await follow(run.id);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let statusAtFirstLine: string | undefined;
    const events = await readSse(res, (e) => {
      if (e.event === 'line' && e.data.includes('line 1') && !statusAtFirstLine) {
        void api.call('viewer', { method: 'GET', url: `/v1/runs/${run.id}` }).then((r) => {
          statusAtFirstLine = r.json().status;
        });
      }
      return false;
    });
    const lines = events
      .filter((e) => e.event === 'line')
      .map((e) => JSON.parse(e.data) as { stream: string; line: string });
    expect(lines.filter((l) => l.stream === 'stdout').map((l) => l.line)).toEqual([
      'line 1',
      'line 2',
      'line 3',
      'line 4',
      'line 5',
      'line 6',
    ]);
    expect(lines).toContainEqual(expect.objectContaining({ stream: 'stderr', line: 'to stderr' }));
    expect(events.at(-1)).toMatchObject({ event: 'end', data: '{"reason":"completed"}' });
    // Live: the first line arrived while the step was still running, well before the last.
    expect(statusAtFirstLine).toBe('running');
    const first = events.find((e) => e.data.includes('line 1'))!;
    const last = events.find((e) => e.data.includes('line 6'))!;
    expect(last.at - first.at).toBeGreaterThan(1000);

    const third = events.filter((e) => e.event === 'line')[2]!;
    const rest = await readSse(await follow(run.id, { 'last-event-id': third.id! }));
    expect(rest.filter((e) => e.event === 'line').map((e) => e.data)).toEqual(
      events
        .filter((e) => e.event === 'line')
        .slice(3)
        .map((e) => e.data),
    );
    expect(rest.at(-1)!.event).toBe('end');
    expect((await waitForRun(api, run.id)).status).toBe('succeeded');
  });

  it('returns a whole log as JSON lines or text', async () => {
    const run = await waitForRun(api, (await startRun(api, 'chatty', { cache: false })).id);
    const jsonl = await api.call('viewer', { method: 'GET', url: `/v1/runs/${run.id}/steps/talk/logs` });
    expect(jsonl.statusCode).toBe(200);
    expect(jsonl.headers['content-type']).toMatch(/application\/x-ndjson/);
    const parsed = jsonl.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(parsed.filter((l) => l.stream === 'stdout').map((l) => l.line)).toHaveLength(6);
    expect(parsed[0]).toMatchObject({ ts: expect.any(String), stream: expect.any(String), line: expect.any(String) });
    const text = await api.call('viewer', { method: 'GET', url: `/v1/runs/${run.id}/steps/talk/logs?format=text` });
    expect(text.headers['content-type']).toMatch(/^text\/plain/);
    expect(text.body).toContain('line 3\nline 4\n');
    expect((await api.call('viewer', { method: 'GET', url: `/v1/runs/${run.id}/steps/nope/logs` })).statusCode).toBe(
      404,
    );
    // A cache hit ran nothing itself: its log is the one of the run it came from.
    const cached = await waitForRun(api, (await startRun(api, 'chatty')).id);
    expect(cached.steps[0]).toMatchObject({ status: 'cached', cachedFromRun: expect.any(String) });
    const borrowed = await api.call('viewer', {
      method: 'GET',
      url: `/v1/runs/${cached.id}/steps/talk/logs?format=text`,
    });
    expect(borrowed.body).toContain('line 6\n');
    expect((await api.call('viewer', { method: 'GET', url: `/v1/runs/${run.id}/steps/..%2Fx/logs` })).statusCode).toBe(
      400,
    );
  });

  it('stops streaming when the client goes away', async () => {
    const run = await startRun(api, 'chatty', { cache: false });
    const abort = new AbortController();
    const res = await follow(run.id, {}, abort.signal);
    const seen = await readSse(res, (e) => e.event === 'line');
    expect(seen.map((e) => e.event)).toEqual(['line']);
    abort.abort();
    await new Promise((r) => setTimeout(r, 300));
    // The server is unaffected: another follower still gets the whole log.
    const again = await readSse(await follow(run.id));
    expect(again.at(-1)!.event).toBe('end');
  });
});
