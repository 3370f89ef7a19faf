import pg from 'pg';
import { openDb, type Db } from '../../core/db/connect.js';
import { migrateToLatest } from '../../core/db/migrate.js';
import { testServices, uniqueId } from './services.js';

export interface OpenedDb {
  db: Db;
  close: () => Promise<void>;
}
export interface DbTargetCase {
  name: string;
  open: () => Promise<OpenedDb>;
}

/**
 * The two metadata databases every repository test runs on: real PostgreSQL (a fresh
 * schema per call, dropped on close) and in-memory PGlite.
 */
export function dbTargets(): DbTargetCase[] {
  return [
    {
      name: 'postgres',
      open: async () => {
        const schema = uniqueId('t').replace(/-/g, '_');
        const admin = new pg.Client({ connectionString: testServices.postgresUrl });
        await admin.connect();
        await admin.query(`CREATE SCHEMA ${schema}`);
        const db = await openDb({ databaseUrl: testServices.postgresUrl, schema });
        return {
          db,
          close: async () => {
            await db.destroy();
            await admin.query(`DROP SCHEMA ${schema} CASCADE`);
            await admin.end();
          },
        };
      },
    },
    {
      name: 'pglite',
      open: async () => {
        const db = await openDb({});
        return { db, close: () => db.destroy() };
      },
    },
  ];
}

/** Opens and migrates a database of the given case. */
export async function openMigrated(target: DbTargetCase): Promise<OpenedDb> {
  const opened = await target.open();
  await migrateToLatest(opened.db);
  return opened;
}

/** The schema a test's database handle works in: what a split worker or API process is given as SLUICE_DB_SCHEMA. */
export async function currentSchema(db: OpenedDb['db']): Promise<string> {
  return (await db.selectNoFrom((eb) => eb.fn<string>('current_schema', []).as('s')).executeTakeFirstOrThrow()).s;
}
