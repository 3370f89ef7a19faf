import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// The two tables the serving path shares between processes:
// - deployment_routes: what serves each deployment right now and with which share of traffic. The
//   deployment workflow's activities write it; the gateway (in every API process) reads it and
//   drops its cached copy on the `sluice_deployment_routes` notification (payload: the schema).
// - gateway_stats: per-version request/error counts and a latency histogram, one row per API
//   process and flush window (every few seconds); rollout alarms and metrics read sums of them.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('deployment_routes')
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('url', 'text', (c) => c.notNull())
    .addColumn('weight', 'integer', (c) => c.notNull().check(sql`weight BETWEEN 0 AND 100`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('deployment_routes_pk', ['deployment', 'version'])
    .execute();
  await sql`
    CREATE FUNCTION sluice_deployment_routes_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM pg_notify('sluice_deployment_routes', TG_TABLE_SCHEMA);
      RETURN NULL;
    END
    $$`.execute(db);
  await sql`
    CREATE TRIGGER deployment_routes_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON deployment_routes
    FOR EACH STATEMENT EXECUTE FUNCTION sluice_deployment_routes_changed()`.execute(db);

  await db.schema
    .createTable('gateway_stats')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('requests', 'integer', (c) => c.notNull())
    .addColumn('errors', 'integer', (c) => c.notNull())
    // Counts per latency bucket: latency_counts[i] counts requests with latency <= LATENCY_BOUNDS_MS[i]
    // (and > the bound before); the last entry counts those above every bound.
    .addColumn('latency_counts', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('gateway_stats_by_version')
    .on('gateway_stats')
    .columns(['deployment', 'version', 'window_end'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('gateway_stats').execute();
  await sql`DROP TRIGGER deployment_routes_changed ON deployment_routes`.execute(db);
  await sql`DROP FUNCTION sluice_deployment_routes_changed()`.execute(db);
  await db.schema.dropTable('deployment_routes').execute();
}
