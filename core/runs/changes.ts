import { sql } from 'kysely';
import { embeddedPglite, type Db } from '../db/connect.js';
import { listenOnChannel } from '../db/listen.js';

/** The channel the runs table's trigger notifies on every write (migration 2026-12-01T00-40). */
const RUNS_CHANNEL = 'sluice_runs';

export interface RunChangeFeed {
  /** True while every committed write to runs is sure to be reported. */
  readonly up: boolean;
  stop(): Promise<void>;
}

/**
 * Calls `changed` after every committed write to the runs table, by any process. PostgreSQL: a
 * dedicated LISTEN connection (writes in other schemas of the same database are ignored; while it
 * is down `up` is false and each transition counts as a change). PGlite: the database lives in this
 * process and delivers the notification before the writing statement (or its COMMIT) returns.
 */
export async function watchRunChanges(
  db: Db,
  databaseUrl: string | undefined,
  changed: () => void,
  onError: (err: Error) => void = () => {},
): Promise<RunChangeFeed> {
  const pglite = embeddedPglite(db);
  if (pglite) {
    const unlisten = await pglite.listen(RUNS_CHANNEL, () => changed());
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
    RUNS_CHANNEL,
    {
      notify: (payload) => {
        if (!schema || payload === schema) changed();
      },
      transition: changed,
      error: onError,
    },
    { applicationName: `${RUNS_CHANNEL}:${schema ?? ''}` },
  );
}
