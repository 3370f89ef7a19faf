import type { Db } from '../db/connect.js';

export interface Route {
  model: string;
  version: number;
  url: string;
  weight: number;
}

/**
 * Replaces the deployment's routes in one transaction (the gateway never sees half a split; the
 * table's trigger notifies every API process once). Routes of weight 0 are dropped; none clears them.
 */
export async function setRoutes(db: Db, deployment: string, routes: readonly Route[]): Promise<void> {
  const live = routes.filter((r) => r.weight > 0);
  await db.transaction().execute(async (trx) => {
    await trx.deleteFrom('deployment_routes').where('deployment', '=', deployment).execute();
    if (live.length)
      await trx
        .insertInto('deployment_routes')
        .values(live.map((r) => ({ deployment, model: r.model, version: r.version, url: r.url, weight: r.weight })))
        .execute();
  });
}

export async function getRoutes(db: Db, deployment: string): Promise<Route[]> {
  return db
    .selectFrom('deployment_routes')
    .select(['model', 'version', 'url', 'weight'])
    .where('deployment', '=', deployment)
    .orderBy('version')
    .execute();
}
