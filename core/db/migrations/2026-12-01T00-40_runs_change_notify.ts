import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// Every statement that writes the runs table announces it on the `sluice_runs` channel, with the
// table's schema as payload (tests and benchmarks share one database, one schema each). PostgreSQL
// delivers a NOTIFY on commit; caches of run listings in any process listen and drop their pages.
// Once per statement, not per row: a listener only needs to know that something changed.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
    CREATE FUNCTION sluice_runs_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('sluice_runs', TG_TABLE_SCHEMA);
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER runs_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON runs
    FOR EACH STATEMENT EXECUTE FUNCTION sluice_runs_changed()`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP TRIGGER runs_changed ON runs`.execute(db);
  await sql`DROP FUNCTION sluice_runs_changed()`.execute(db);
}
