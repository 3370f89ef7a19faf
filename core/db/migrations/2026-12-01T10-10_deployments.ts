import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// - deployments: one row per named deployment, its spec as the operator last wrote it.
// - deployment_rollouts: every rollout (deploy or rollback) of a deployment, its outcome and why,
//   with a timeline of its steps; written by the deployment workflow's activities, keyed by id so a
//   retried activity rewrites the same row.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('deployments')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('spec', 'jsonb', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
  await db.schema
    .createTable('deployment_rollouts')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('deployment', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind IN ('deploy', 'rollback')`))
    .addColumn('model', 'text', (c) => c.notNull())
    .addColumn('from_version', 'integer')
    .addColumn('to_version', 'integer', (c) => c.notNull())
    .addColumn('status', 'text', (c) =>
      c.notNull().check(sql`status IN ('running', 'succeeded', 'rolled-back', 'failed')`),
    )
    .addColumn('reason', 'text')
    .addColumn('requested_by', 'text')
    .addColumn('timeline', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('started_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('deployment_rollouts_by_deployment')
    .on('deployment_rollouts')
    .columns(['deployment', 'started_at'])
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('deployment_rollouts').execute();
  await db.schema.dropTable('deployments').execute();
}
