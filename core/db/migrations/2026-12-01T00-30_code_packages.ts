import { sql, type Kysely } from 'kysely';

// Frozen in time: never import application code here, never edit after release.
// A pipeline's code, packed as a tar and stored content-addressed in the artifact store; pipeline
// versions name it by digest (`code: sha256:…`), workers fetch it by the uri kept here.
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('code_packages')
    .addColumn('digest', 'text', (c) => c.primaryKey())
    .addColumn('uri', 'text', (c) => c.notNull())
    .addColumn('size', 'bigint', (c) => c.notNull())
    .addColumn('files', 'integer', (c) => c.notNull())
    .addColumn('created_by', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute();
}

export async function down(db: Kysely<any>): Promise<void> {
  await db.schema.dropTable('code_packages').execute();
}
