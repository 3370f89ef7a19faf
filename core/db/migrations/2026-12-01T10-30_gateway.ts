import type { Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// What the inference gateway adds beside the serving seam (2026-12-01T10-00):
// - api_keys.scope: null for an ordinary key; {"predict": ["wine", …]} limits a key to predicting
//   (and sending feedback) on the named deployments, and refuses it everywhere else.
// - gateway_accuracy: feedback scored against the prediction it refers to, one row per API process,
//   deployment version and flush window (like gateway_stats).
// - gateway_requests: the sampled log of requests and their predictions (SLUICE_GATEWAY_SAMPLE_RATE);
//   feedback for a request no longer in the process's memory is scored from it.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('scope', 'jsonb').execute();

  await db.schema
    .createTable('gateway_accuracy')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('window_start', 'timestamptz', (c) => c.notNull())
    .addColumn('window_end', 'timestamptz', (c) => c.notNull())
    .addColumn('labelled', 'integer', (c) => c.notNull())
    .addColumn('correct', 'integer', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('gateway_accuracy_by_version')
    .on('gateway_accuracy')
    .columns(['deployment', 'version', 'window_end'])
    .execute();

  await db.schema
    .createTable('gateway_requests')
    .addColumn('request_id', 'text', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull())
    .addColumn('rows', 'jsonb', (c) => c.notNull())
    .addColumn('predictions', 'jsonb', (c) => c.notNull())
    .addColumn('latency_ms', 'double precision', (c) => c.notNull())
    .execute();
  await db.schema
    .createIndex('gateway_requests_by_time')
    .on('gateway_requests')
    .columns(['deployment', 'at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('gateway_requests').execute();
  await db.schema.dropTable('gateway_accuracy').execute();
  await db.schema.alterTable('api_keys').dropColumn('scope').execute();
}
