import { sql } from 'kysely';
import { embeddedPglite, type Db } from './connect.js';
import { listenOnChannel } from './listen.js';

/**
 * Channels a table's statement trigger notifies on every write, with the table's schema as payload:
 * runs (migration 2026-12-01T00-40) and deployment_routes (2026-12-01T10-00).
 */
export const CHANGE_CHANNELS = { runs: 'sluice_runs', deploymentRoutes: 'sluice_deployment_routes' } as const;
export type ChangeChannel = (typeof CHANGE_CHANNELS)[keyof typeof CHANGE_CHANNELS];

export interface TableChangeFeed {
  /** True while every committed write to the table is sure to be reported. */
  readonly up: boolean;
  stop(): Promise<void>;
}

/**
 * Calls `changed` after every committed write to the table behind `channel`, by any process (the run
 * list cache and the gateway's routes cache of every API process use it). PostgreSQL: a
 * dedicated LISTEN connection (writes in other schemas of the same database are ignored; while it
 * is down `up` is false and each transition counts as a change). PGlite: the database lives in this
 * process and delivers the notification before the writing statement (or its COMMIT) returns.
 */
export async function watchTableChanges(
  db: Db,
  channel: ChangeChannel,
  databaseUrl: string | undefined,
  changed: () => void,
  onError: (err: Error) => void = () => {},
): Promise<TableChangeFeed> {
  const pglite = embeddedPglite(db);
  if (pglite) {
    const unlisten = await pglite.listen(channel, () => changed());
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
  // A PostgreSQL pool handed over without its URL (some tests): nothing to LISTEN with, never up.
  if (!databaseUrl) return { up: false, stop: async () => {} };
  // Without knowing our schema every notification counts: more misses, never a stale page.
  const schema = await sql<{ s: string }>`select current_schema() as s`
    .execute(db)
    .then((r) => r.rows[0]?.s)
    .catch(() => undefined);
  return listenOnChannel(
    databaseUrl,
    channel,
    {
      notify: (payload) => {
        if (!schema || payload === schema) changed();
      },
      transition: changed,
      error: onError,
    },
    { applicationName: `${channel}:${schema ?? ''}` },
  );
}
