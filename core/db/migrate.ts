import { sql } from 'kysely';
import { Migrator } from 'kysely/migration';
import type { Db } from './connect.js';
import { migrations } from './migrations/index.js';

export class MigrationError extends Error {
  override name = 'MigrationError';
}

/**
 * Brings the connection's current schema to the latest migration; returns the names applied
 * now. kysely's bookkeeping tables are pinned to that schema: unpinned, kysely finds another
 * schema's kysely_migration tables (say, public's) and then fails to lock its own.
 */
export async function migrateToLatest(db: Db): Promise<string[]> {
  const { rows } = await sql<{ s: string }>`select current_schema() as s`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: rows[0]?.s ?? 'public',
  });
  const { error, results } = await migrator.migrateToLatest();
  const failed = results?.find((r) => r.status === 'Error');
  if (error || failed) {
    const why = error instanceof Error ? error.message : String(error ?? 'unknown error');
    throw new MigrationError(`migration ${failed?.migrationName ?? '(setup)'} failed: ${why}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
