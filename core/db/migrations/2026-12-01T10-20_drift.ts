import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// Drift monitoring:
// - drift_windows: per-feature counts of gateway traffic in the training data's bins, one row per
//   API process, deployment version and flush window (every few seconds); the monitor sums them.
// - drift_results: the monitor's verdicts as a time series: one row per check and feature, plus a
//   dataset-level row (feature '') whose statistic is the share of drifted features.
// - drift_retrains: the retraining runs drift started, one per check at most (the check id keys it).
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('drift_windows')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('rows', 'integer', (c) => c.notNull())
    .addColumn('counts', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('drift_windows_by_version')
    .on('drift_windows')
    .columns(['deployment', 'version', 'window_end'])
    .execute();

  await db.schema
    .createTable('drift_results')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('check_id', 'text', (c) => c.notNull())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('reference', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('feature', 'text', (c) => c.notNull())
    .addColumn('method', 'text', (c) => c.notNull())
    .addColumn('statistic', 'float8')
    .addColumn('p_value', 'float8')
    .addColumn('threshold', 'float8', (c) => c.notNull())
    .addColumn('drifted', 'boolean', (c) => c.notNull())
    .addColumn('n', 'integer', (c) => c.notNull())
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addUniqueConstraint('drift_results_check_feature', ['check_id', 'feature'])
    .execute();
  await db.schema
    .createIndex('drift_results_by_feature')
    .on('drift_results')
    .columns(['deployment', 'feature', 'at'])
    .execute();

  await db.schema
    .createTable('drift_retrains')
    .addColumn('check_id', 'text', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('pipeline', 'text', (c) => c.notNull())
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('report', 'jsonb', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('drift_retrains_by_deployment')
    .on('drift_retrains')
    .columns(['deployment', 'at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('drift_retrains').execute();
  await db.schema.dropTable('drift_results').execute();
  await db.schema.dropTable('drift_windows').execute();
}
