import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { Kysely, PGliteDialect, PostgresDialect } from 'kysely';
import type { Config } from '../config.js';
import type { Database } from './database.js';

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
}

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
      options:
        [target.schema ? `-c search_path=${target.schema}` : '', target.asyncCommit ? '-c synchronous_commit=off' : '']
          .filter(Boolean)
          .join(' ') || undefined,
    });
    return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  }
  const { PGlite } = await import('@electric-sql/pglite');
  if (target.pgliteDir) await mkdir(target.pgliteDir, { recursive: true });
  const pglite = await PGlite.create(target.pgliteDir);
  return new Kysely<Database>({ dialect: new PGliteDialect({ pglite }) });
}

/** PostgreSQL when configured, else PGlite in the data dir. */
export function dbTarget(config: Pick<Config, 'databaseUrl' | 'databaseSchema' | 'dataDir'>): DbTarget {
  return config.databaseUrl
    ? { databaseUrl: config.databaseUrl, schema: config.databaseSchema }
    : { pgliteDir: join(config.dataDir, 'pglite') };
}
