/**
 * An open-loop load generator: requests leave at a fixed rate, evenly spaced (request i at
 * start + i / rate), whatever the answers do, over at most `connections` kept-alive connections.
 * Each latency is measured from the moment the request was due, not from when a connection
 * became free, so a slow path's queueing is counted (no coordinated omission), in µs.
 *
 * Why not autocannon's `overallRate`: autocannon lets each connection send its share of a second
 * back to back at the start of every second and then waits, so its "paced" latencies are the
 * saturated latencies of a burst of `connections` requests, not those of a request at the rate.
 *
 * Run as its own process (`node … bench/paced-load.ts '<json>'`) so that its CPU is not charged to
 * the process under test; it prints one JSON line, `PacedResult`.
 */
import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface PacedRequest {
  url: string;
  /** POSTed as JSON when set, else GET. */
  body?: string;
  headers?: Record<string, string>;
  rate: number;
  durationS: number;
  connections: number;
}

export interface PacedResult {
  /** Requests answered 2xx (latencies are theirs); the others are counted in non2xx and errors. */
  requests: number;
  requestsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  non2xx: number;
  errors: number;
  /** How late the generator itself sent requests, p99 (its timer's jitter; the same for every path). */
  sendLagP99Ms: number;
}

const quantile = (sorted: number[], q: number): number =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

const ms = (us: number): number => Number((us / 1000).toFixed(2));

export function pacedLoad(p: PacedRequest): Promise<PacedResult> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: p.connections });
  const total = Math.max(1, Math.round(p.rate * p.durationS));
  const intervalMs = 1000 / p.rate;
  const latenciesUs: number[] = [];
  const lagsUs: number[] = [];
  const headers = { ...(p.body === undefined ? {} : { 'content-type': 'application/json' }), ...p.headers };
  let non2xx = 0;
  let errors = 0;
  let finished = 0;
  let sent = 0;
  const start = performance.now() + 20;

  return new Promise((resolve) => {
    const done = () => {
      if (++finished < total) return;
      agent.destroy();
      const elapsedS = (performance.now() - start) / 1000;
      const sorted = latenciesUs.sort((a, b) => a - b);
      const lags = lagsUs.sort((a, b) => a - b);
      resolve({
        requests: latenciesUs.length,
        requestsPerSec: Math.round(latenciesUs.length / elapsedS),
        p50Ms: ms(quantile(sorted, 0.5)),
        p99Ms: ms(quantile(sorted, 0.99)),
        non2xx,
        errors,
        sendLagP99Ms: ms(quantile(lags, 0.99)),
      });
    };
    const send = (due: number) => {
      lagsUs.push((performance.now() - due) * 1000);
      const req = http.request(p.url, { method: p.body === undefined ? 'GET' : 'POST', agent, headers }, (res) => {
        res.on('data', () => {});
        res.on('end', () => {
          if (res.statusCode! < 200 || res.statusCode! >= 300) non2xx++;
          else latenciesUs.push((performance.now() - due) * 1000);
          done();
        });
      });
      req.on('error', () => {
        errors++;
        done();
      });
      req.end(p.body);
    };
    const tick = () => {
      const now = performance.now();
      while (sent < total && start + sent * intervalMs <= now) send(start + sent++ * intervalMs);
      if (sent < total) setTimeout(tick, Math.max(0, start + sent * intervalMs - performance.now()));
    };
    setTimeout(tick, 20);
  });
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  pacedLoad(JSON.parse(process.argv[2]!) as PacedRequest).then(
    (r) => process.stdout.write(`${JSON.stringify(r)}\n`),
    (err: unknown) => {
      process.stderr.write(`paced-load failed: ${String(err)}\n`);
      process.exit(1);
    },
  );
}
