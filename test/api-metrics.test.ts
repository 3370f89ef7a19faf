import { describe, expect, it } from 'vitest';
import { useApi } from './support/api.js';

describe('/metrics', () => {
  const api = useApi();

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
});
