import { describe, expect, it } from 'vitest';
import { useApi } from './support/api.js';
import { apply, flagPipeline, startRun, waitForRun } from './support/api-runs.js';
import { uniqueId } from './support/services.js';

describe('/metrics', () => {
  const api = useApi({ worker: true });

  it('needs a key, and exposes process metrics and request durations by route template', async () => {
    expect((await api.call(undefined, { method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    await api.call('viewer', { method: 'GET', url: '/v1/runs/no-such-run' });
    const res = await api.call('viewer', { method: 'GET', url: '/metrics' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(/^sluice_process_resident_memory_bytes \d+/m);
    expect(res.body).toMatch(
      /sluice_http_request_duration_seconds_count\{method="GET",route="\/v1\/runs\/:id",status="404"\} 1/,
    );
    expect(res.body).not.toContain('no-such-run');
  });

  it('counts runs per pipeline, status and outcome from the runs table', async () => {
    const name = uniqueId('metered');
    await apply(api, flagPipeline(name));
    const ok = await startRun(api, name, { params: { flag: '/etc/passwd' } });
    const failing = await startRun(api, name); // its flag does not exist: step b fails
    await waitForRun(api, ok.id, undefined, 60_000);
    await waitForRun(api, failing.id, undefined, 60_000);
    const body = await waitForScrape(
      async () => (await api.call('viewer', { method: 'GET', url: '/metrics' })).body,
      name,
    );
    expect(body).toContain(`sluice_runs{pipeline="${name}",status="succeeded",outcome=""} 1`);
    expect(body).toContain(`sluice_runs{pipeline="${name}",status="failed",outcome=""} 1`);
  }, 120_000);
});

/** The counts are cached a few seconds: scrape until they include both finished runs. */
async function waitForScrape(scrape: () => Promise<string>, pipeline: string): Promise<string> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const body = await scrape();
    const mine = body.split('\n').filter((l) => l.startsWith(`sluice_runs{pipeline="${pipeline}"`));
    if (mine.some((l) => l.includes('status="failed"')) && mine.some((l) => l.includes('status="succeeded"')))
      return body;
    if (Date.now() > deadline) return body;
    await new Promise((r) => setTimeout(r, 250));
  }
}
