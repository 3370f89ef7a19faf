import { sql, type RawBuilder } from 'kysely';
import type { TagFilter } from './names.js';

/** Conditions for tag filters on a jsonb tags column (`@>` uses the jsonb_path_ops GIN index). */
export function tagConditions(column: string, filters: TagFilter[] = []): RawBuilder<boolean>[] {
  return filters.map((f) =>
    f.value === undefined
      ? sql<boolean>`jsonb_exists(${sql.ref(column)}, ${f.key})`
      : sql<boolean>`${sql.ref(column)} @> ${JSON.stringify({ [f.key]: f.value })}::jsonb`,
  );
}
