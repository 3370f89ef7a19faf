import type { Db } from '../db/connect.js';

/** One serving instance of a deployment, as deployment_routes holds it. */
export interface Route {
  model: string;
  version: number;
  url: string;
  weight: number;
}

/**
 * Each deployment's routes, read from deployment_routes once and kept until the table changes
 * (`invalidate()` on its notification). While the change feed is down (`live()` false) every
 * request reads the database, so a route change is never missed; a read that raced an
 * invalidation is used once and not kept.
 */
export class RouteTable {
  private generation = 0;
  private readonly cached = new Map<string, readonly Route[]>();

  constructor(
    private readonly db: Db,
    private readonly live: () => boolean,
  ) {}

  invalidate(): void {
    this.generation++;
    this.cached.clear();
  }

  /** The deployment's routes (empty: nothing has ever been routed to it, or its routes were removed). */
  async routes(deployment: string): Promise<readonly Route[]> {
    const hit = this.cached.get(deployment);
    if (hit) return hit;
    const seen = this.generation;
    const rows = await this.db
      .selectFrom('deployment_routes')
      .select(['model', 'version', 'url', 'weight'])
      .where('deployment', '=', deployment)
      .orderBy('version')
      .execute();
    if (seen === this.generation && this.live()) {
      // Bounded: a client asking for many unknown names must not grow the map without end.
      if (this.cached.size >= 10_000) this.cached.clear();
      this.cached.set(deployment, rows);
    }
    return rows;
  }
}

/** Picks a route with probability proportional to its weight; undefined when every weight is 0. */
export function pickRoute(routes: readonly Route[], random: () => number = Math.random): Route | undefined {
  let total = 0;
  for (const r of routes) total += r.weight;
  if (total <= 0) return undefined;
  let x = random() * total;
  for (const r of routes) {
    if (r.weight <= 0) continue;
    x -= r.weight;
    if (x < 0) return r;
  }
  // Only floating-point rounding gets here: the last route with a share.
  for (let i = routes.length - 1; i >= 0; i--) if (routes[i]!.weight > 0) return routes[i];
  return undefined;
}
