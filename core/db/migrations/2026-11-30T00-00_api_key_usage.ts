import type { Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// The prefix is the start of the secret a person may see to tell keys apart (null for keys issued
// before it was kept); last_used_at is refreshed on authentication at most once a minute per key.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('prefix', 'text').addColumn('last_used_at', 'timestamptz').execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('prefix').dropColumn('last_used_at').execute();
}
