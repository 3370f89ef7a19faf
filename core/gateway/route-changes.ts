import { sql } from 'kysely';
import { embeddedPglite, type Db } from '../db/connect.js';
import { listenOnChannel } from '../db/listen.js';

/** The channel deployment_routes' trigger notifies on every write (migration 2026-12-01T10-00). */
const ROUTES_CHANNEL = 'sluice_deployment_routes';

export interface RouteChangeFeed {
  /** True while every committed write to deployment_routes is sure to be reported. */
  readonly up: boolean;
  stop(): Promise<void>;
}

/**
 * Calls `changed` after every committed write to deployment_routes, by any process: the rollout
 * activities write it in the worker, every API process caches it. The same two paths as the run
 * list's feed (core/runs/changes.ts): PGlite's in-process LISTEN, or a dedicated PostgreSQL
 * connection that ignores other schemas and reports its own transitions as changes.
 */
export async function watchRouteChanges(
  db: Db,
  databaseUrl: string | undefined,
  changed: () => void,
  onError: (err: Error) => void = () => {},
): Promise<RouteChangeFeed> {
  const pglite = embeddedPglite(db);
  if (pglite) {
    const unlisten = await pglite.listen(ROUTES_CHANNEL, () => changed());
    let up = true;
    return {
      get up() {
        return up;
      },
      stop: async () => {
        up = false;
        await unlisten().catch(() => {});
      },
    };
  }
  if (!databaseUrl) return { up: false, stop: async () => {} };
  const schema = await sql<{ s: string }>`select current_schema() as s`
    .execute(db)
    .then((r) => r.rows[0]?.s)
    .catch(() => undefined);
  return listenOnChannel(
    databaseUrl,
    ROUTES_CHANNEL,
    {
      notify: (payload) => {
        if (!schema || payload === schema) changed();
      },
      transition: changed,
      error: onError,
    },
    { applicationName: `${ROUTES_CHANNEL}:${schema ?? ''}` },
  );
}
