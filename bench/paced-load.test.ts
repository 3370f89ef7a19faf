import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { pacedLoad } from './paced-load.js';

/** A server that notes when each request arrived and answers after `delayMs`. */
async function server(delayMs: number, status = 200): Promise<{ url: string; arrivals: number[]; srv: Server }> {
  const arrivals: number[] = [];
  const srv = createServer((req, res) => {
    arrivals.push(performance.now());
    req.resume();
    req.on('end', () => setTimeout(() => res.writeHead(status).end('{}'), delayMs));
  });
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  return { url: `http://127.0.0.1:${(srv.address() as AddressInfo).port}/`, arrivals, srv };
}

describe('pacedLoad', () => {
  let srv: Server | undefined;
  afterEach(() => srv?.close());

  it('spreads requests over the second instead of sending them in a burst, and counts each one', async () => {
    const s = await server(0);
    srv = s.srv;
    const r = await pacedLoad({ url: s.url, body: '{}', rate: 50, durationS: 1, connections: 16 });
    expect(r).toMatchObject({ requests: 50, non2xx: 0, errors: 0 });
    expect(s.arrivals).toHaveLength(50);
    // Evenly spaced at 20 ms: the first and last arrivals are most of a second apart
    // (autocannon's overallRate sends all 50 within a few ms at the top of the second).
    expect(s.arrivals.at(-1)! - s.arrivals[0]!).toBeGreaterThan(500);
  });

  it("counts a slow path's queueing from when each request was due", async () => {
    // One connection, 100 ms per answer, 20 requests due in 0.4 s: the last waits for the 19 before it.
    const s = await server(100);
    srv = s.srv;
    const r = await pacedLoad({ url: s.url, rate: 50, durationS: 0.4, connections: 1 });
    expect(r.requests).toBe(20);
    expect(r.p99Ms).toBeGreaterThan(1500);
    expect(r.p50Ms).toBeGreaterThan(500);
  });

  it('counts non-2xx answers apart from the latencies', async () => {
    const s = await server(0, 503);
    srv = s.srv;
    const r = await pacedLoad({ url: s.url, rate: 20, durationS: 0.5, connections: 2 });
    expect(r).toMatchObject({ requests: 0, non2xx: 10, errors: 0 });
  });
});
