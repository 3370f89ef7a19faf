import { type Kysely, sql } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// Models and datasets are never deleted (archived instead), so foreign keys do not cascade.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('models')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('active')
        .check(sql`status IN ('active', 'archived')`),
    )
    .addColumn('next_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX models_tags_idx ON models USING gin (tags jsonb_path_ops)`.execute(db);

  await db.schema
    .createTable('model_versions')
    .addColumn('model', 'text', (c) => c.notNull().references('models.name'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c
        .notNull()
        .defaultTo('registered')
        .check(sql`status IN ('registered', 'archived')`),
    )
    .addColumn('description', 'text')
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('artifact_sha256', 'text', (c) => c.notNull())
    .addColumn('artifact_size', 'bigint', (c) => c.notNull())
    .addColumn('artifact_kind', 'text', (c) => c.notNull())
    .addColumn('metrics', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('params', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('signature', 'jsonb')
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('run_id', 'text')
    .addColumn('step_id', 'text')
    .addColumn('output_name', 'text')
    .addColumn('image', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('archived_at', 'timestamptz')
    .addPrimaryKeyConstraint('model_versions_pk', ['model', 'version'])
    .addUniqueConstraint('model_versions_idempotency_uq', ['model', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('model_versions_sha_idx').on('model_versions').column('artifact_sha256').execute();
  await db.schema.createIndex('model_versions_run_idx').on('model_versions').column('run_id').execute();
  await sql`CREATE INDEX model_versions_tags_idx ON model_versions USING gin (tags jsonb_path_ops)`.execute(db);

  await db.schema
    .createTable('model_version_metrics')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_metrics_pk', ['model', 'version', 'name'])
    .addForeignKeyConstraint('model_version_metrics_version_fk', ['model', 'version'], 'model_versions', [
      'model',
      'version',
    ])
    .execute();
  await db.schema
    .createIndex('model_version_metrics_value_idx')
    .on('model_version_metrics')
    .columns(['model', 'name', 'value'])
    .execute();

  await db.schema
    .createTable('model_aliases')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('alias', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('updated_by', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('model_aliases_pk', ['model', 'alias'])
    .addForeignKeyConstraint('model_aliases_version_fk', ['model', 'version'], 'model_versions', ['model', 'version'])
    .execute();
  await db.schema.createIndex('model_aliases_version_idx').on('model_aliases').columns(['model', 'version']).execute();

  await db.schema
    .createTable('datasets')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('description', 'text')
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('next_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await sql`CREATE INDEX datasets_tags_idx ON datasets USING gin (tags jsonb_path_ops)`.execute(db);

  await db.schema
    .createTable('dataset_versions')
    .addColumn('dataset', 'text', (c) => c.notNull().references('datasets.name'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('format', 'text', (c) => c.notNull())
    .addColumn('artifact_uri', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('artifact_kind', 'text', (c) => c.notNull())
    .addColumn('row_count', 'bigint')
    .addColumn('schema', 'jsonb')
    .addColumn('stats', 'jsonb')
    .addColumn('source_uri', 'text')
    .addColumn('tags', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('run_id', 'text')
    .addColumn('step_id', 'text')
    .addColumn('output_name', 'text')
    .addColumn('idempotency_key', 'text')
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('dataset_versions_pk', ['dataset', 'version'])
    .addUniqueConstraint('dataset_versions_idempotency_uq', ['dataset', 'idempotency_key'])
    .execute();
  await db.schema.createIndex('dataset_versions_digest_idx').on('dataset_versions').column('digest').execute();
  await db.schema.createIndex('dataset_versions_run_idx').on('dataset_versions').column('run_id').execute();

  await db.schema
    .createTable('model_version_datasets')
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('dataset', 'text', (c) => c.notNull())
    .addColumn('dataset_version', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('model_version_datasets_pk', ['model', 'version', 'dataset', 'dataset_version'])
    .addForeignKeyConstraint('model_version_datasets_version_fk', ['model', 'version'], 'model_versions', [
      'model',
      'version',
    ])
    .addForeignKeyConstraint('model_version_datasets_dataset_fk', ['dataset', 'dataset_version'], 'dataset_versions', [
      'dataset',
      'version',
    ])
    .execute();
  await db.schema
    .createIndex('model_version_datasets_dataset_idx')
    .on('model_version_datasets')
    .columns(['dataset', 'dataset_version'])
    .execute();

  // No foreign key to runs: a step may record its inputs before its run's projection row lands.
  await db.schema
    .createTable('run_inputs')
    .addColumn('run_id', 'text', (c) => c.notNull())
    .addColumn('step_id', 'text', (c) => c.notNull())
    .addColumn('input_name', 'text', (c) => c.notNull())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull())
    .addColumn('resolved_type', 'text')
    .addColumn('resolved_name', 'text')
    .addColumn('resolved_version', 'integer')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('run_inputs_pk', ['run_id', 'step_id', 'input_name'])
    .execute();
  await db.schema
    .createIndex('run_inputs_resolved_idx')
    .on('run_inputs')
    .columns(['resolved_type', 'resolved_name', 'resolved_version'])
    .execute();
  await db.schema.createIndex('run_inputs_sha_idx').on('run_inputs').column('sha256').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  for (const t of [
    'run_inputs',
    'model_version_datasets',
    'dataset_versions',
    'datasets',
    'model_aliases',
    'model_version_metrics',
    'model_versions',
    'models',
  ]) {
    await db.schema.dropTable(t).ifExists().execute();
  }
}
