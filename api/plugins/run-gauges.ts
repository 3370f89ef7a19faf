import { sql } from 'kysely';
import { Gauge, type Registry } from 'prom-client';
import type { Db } from '../../core/db/connect.js';

/** How long one count of the runs table serves scrapes (several Prometheus servers, or a dashboard's refresh). */
const CACHE_MS = 5_000;

/**
 * Runs per pipeline, status and outcome, counted in the runs table when Prometheus scrapes (cached a few
 * seconds). The table is the one record every API and worker process shares, so the numbers agree whichever
 * API instance is scraped — unlike per-process counters, which would each see only the runs they started.
 *   sluice_runs{pipeline, status, outcome}   outcome: promoted, not-promoted, rejected, … or "" when none
 * Started = the sum over statuses; finished = succeeded + failed + cancelled; rates come from increase().
 */
export function registerRunGauges(registry: Registry, db: Db): void {
  let cached:
    { at: number; rows: Promise<Array<{ pipeline: string; status: string; outcome: string; n: number }>> } | undefined;
  const counts = () => {
    if (!cached || Date.now() - cached.at > CACHE_MS) {
      const rows = db
        .selectFrom('runs')
        .select([
          'pipeline',
          'status',
          sql<string>`coalesce(outcome, '')`.as('outcome'),
          sql<number>`count(*)::int`.as('n'),
        ])
        .groupBy(['pipeline', 'status', 'outcome'])
        .execute();
      cached = { at: Date.now(), rows };
      // A failed count is not kept: the next scrape asks again.
      rows.catch(() => (cached = undefined));
    }
    return cached.rows;
  };
  new Gauge({
    name: 'sluice_runs',
    help: 'Runs in the metadata database by pipeline, status and outcome',
    labelNames: ['pipeline', 'status', 'outcome'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      for (const r of await counts()) this.set({ pipeline: r.pipeline, status: r.status, outcome: r.outcome }, r.n);
    },
  });
}
