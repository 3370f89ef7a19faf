import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import type { PGliteInterface } from '@electric-sql/pglite';
import type { Config } from '../config.js';
import type { Database } from './database.js';
import { markDatabaseUnavailable } from './unavailable.js';

export type Db = Kysely<Database>;

export interface DbTarget {
  /** postgres:// URL; when absent, an embedded PGlite database in `pgliteDir` (or in memory). */
  databaseUrl?: string;
  pgliteDir?: string;
  /** Postgres search_path schema (tests use one schema each). */
  schema?: string;
  poolSize?: number;
  /**
   * Commit without waiting for the WAL flush (Postgres `synchronous_commit=off`). For the
   * worker's run projection only: Temporal is the source of truth for run state, so a
   * projection write lost in a database crash is rewritten by the next update; API writes
   * (keys, audit events, registry) never use this.
   */
  asyncCommit?: boolean;
  /**
   * Told when a pooled connection dies (PostgreSQL restarted, the network dropped). The pool
   * discards that connection and opens new ones on demand, so this is for logging only.
   */
  onConnectionLost?: (err: Error) => void;
}

/** How long a request waits for a connection before it is told the database is unavailable. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * Opens the metadata database. PGlite goes through kysely's own PGliteDialect, which
 * serialises transactions on PGlite's single session: PGlite is one connection, so two
 * transactions open at once would otherwise interleave their statements.
 */
export async function openDb(target: DbTarget): Promise<Db> {
  if (target.databaseUrl) {
    const { default: pg } = await import('pg');
    // bigint (e.g. artifact sizes) as JS numbers: sizes stay far below 2^53.
    pg.types.setTypeParser(20, (v: string) => Number(v));
    const pool = new pg.Pool({
      connectionString: target.databaseUrl,
      max: target.poolSize ?? 10,
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      options:
        [target.schema ? `-c search_path=${target.schema}` : '', target.asyncCommit ? '-c synchronous_commit=off' : '']
          .filter(Boolean)
          .join(' ') || undefined,
    });
    // An 'error' event nobody listens to kills the process. pg-pool forwards an idle client's
    // errors to the pool, but a checked-out client (a transaction between statements) emits on
    // itself only; so every client gets a listener of its own (which also logs the idle case),
    // and the pool one so that it never throws. The pool discards a broken client on release.
    pool.on('error', () => {});
    pool.on('connect', (client) =>
      client.on('error', (err) => target.onConnectionLost?.(markDatabaseUnavailable(err))),
    );
    return new Kysely<Database>({
      dialect: new PostgresDialect({
        pool: {
          Client: pg.Client,
          options: pool.options,
          // Any failure to get a connection means the database cannot serve now, whatever its cause.
          connect: () => pool.connect().catch((err: unknown) => Promise.reject(markDatabaseUnavailable(err))),
          end: () => pool.end(),
        },
      }),
    });
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (target.pgliteDir) await mkdir(target.pgliteDir, { recursive: true });
  const pglite = await PGlite.create(target.pgliteDir);
  const db = new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
  embedded.set(db, pglite);
  return db;
}

const embedded = new WeakMap<Db, PGliteInterface>();

/** The PGlite instance behind `db` (for its in-process LISTEN), or undefined on PostgreSQL. */
export function embeddedPglite(db: Db): PGliteInterface | undefined {
  return embedded.get(db);
}

/** PostgreSQL when configured, else PGlite in the data dir. */
export function dbTarget(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir' | 'logLevel'>): DbTarget {
  return config.databaseUrl
    ? { databaseUrl: config.databaseUrl, schema: config.databaseSchema, onConnectionLost: warnConnectionLost(config) }
    : { pgliteDir: join(config.dataDir, 'pglite') };
}

const QUIETER_THAN_WARN = new Set(['error', 'fatal', 'silent']);

/** A warning on stderr, as every entry point logs before its own logger exists. */
function warnConnectionLost(config: Pick<Config, 'logLevel'>): ((err: Error) => void) | undefined {
  if (QUIETER_THAN_WARN.has(config.logLevel)) return undefined;
  return (err) =>
    process.stderr.write(
      `warn: a PostgreSQL connection was lost (${err.message}); the pool opens new ones as needed\n`,
    );
}
