import type { Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// Built-in step kinds: a run's outcome beside its status (promoted, not-promoted, rejected) and
// its reason; per step, what the kind found (details, JSON) and why a skipped step was skipped.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('runs').addColumn('outcome', 'text').addColumn('outcome_reason', 'text').execute();
  await db.schema.alterTable('run_steps').addColumn('details', 'jsonb').addColumn('skip_reason', 'text').execute();
  await db.schema.createIndex('runs_outcome_created_idx').on('runs').columns(['outcome', 'created_at']).execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropIndex('runs_outcome_created_idx').execute();
  await db.schema.alterTable('run_steps').dropColumn('details').dropColumn('skip_reason').execute();
  await db.schema.alterTable('runs').dropColumn('outcome').dropColumn('outcome_reason').execute();
}
