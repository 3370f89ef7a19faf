import type { Db } from '../db/connect.js';
import { LATENCY_BOUNDS_MS, type PredictionObservation, type PredictionObserver } from './observer.js';

interface Counts {
  deployment: string;
  version: number;
  requests: number;
  errors: number;
  latency: number[];
}

/** Index of the latency bucket `ms` falls in (the last one counts everything above every bound). */
export function latencyBucket(ms: number): number {
  for (let i = 0; i < LATENCY_BOUNDS_MS.length; i++) if (ms <= LATENCY_BOUNDS_MS[i]!) return i;
  return LATENCY_BOUNDS_MS.length;
}

/**
 * Per (deployment, version): requests, errors and the latency histogram, in memory; each flush
 * writes one gateway_stats row per pair that saw traffic, for the window since the last flush.
 * A failed write puts its counts back, so they go out with the next window instead of being lost.
 */
export class StatsObserver implements PredictionObserver {
  private counts = new Map<string, Counts>();
  private windowStart = new Date();

  constructor(private readonly db: Db) {}

  observe(o: PredictionObservation): void {
    const key = `${o.deployment}\u0000${o.version}`;
    let c = this.counts.get(key);
    if (!c) {
      c = {
        deployment: o.deployment,
        version: o.version,
        requests: 0,
        errors: 0,
        latency: new Array<number>(LATENCY_BOUNDS_MS.length + 1).fill(0),
      };
      this.counts.set(key, c);
    }
    c.requests++;
    if (!o.ok) c.errors++;
    c.latency[latencyBucket(o.latencyMs)]!++;
  }

  async flush(): Promise<void> {
    if (this.counts.size === 0) {
      this.windowStart = new Date();
      return;
    }
    const taken = this.counts;
    const start = this.windowStart;
    const end = new Date();
    this.counts = new Map();
    this.windowStart = end;
    try {
      await this.db
        .insertInto('gateway_stats')
        .values(
          [...taken.values()].map((c) => ({
            deployment: c.deployment,
            version: c.version,
            window_start: start,
            window_end: end,
            requests: c.requests,
            errors: c.errors,
            latency_counts: JSON.stringify(c.latency),
          })),
        )
        .execute();
    } catch (err) {
      for (const [key, c] of taken) {
        const now = this.counts.get(key);
        if (!now) this.counts.set(key, c);
        else {
          now.requests += c.requests;
          now.errors += c.errors;
          c.latency.forEach((n, i) => (now.latency[i]! += n));
        }
      }
      this.windowStart = start;
      throw err;
    }
  }
}
