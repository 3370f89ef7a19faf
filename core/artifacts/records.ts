import type { ArtifactRef } from './store.js';
import type { Db } from '../db/connect.js';

/** Records that a step produced `ref` as output `name`; a retried activity overwrites its own row. */
export async function recordArtifact(
  db: Db,
  ref: ArtifactRef,
  producer: { runId: string; stepId: string; name: string },
): Promise<void> {
  await db
    .insertInto('artifacts')
    .values({
      uri: ref.uri,
      sha256: ref.sha256,
      size: ref.size,
      kind: ref.kind,
      run_id: producer.runId,
      step_id: producer.stepId,
      name: producer.name,
    })
    .onConflict((oc) =>
      oc.columns(['run_id', 'step_id', 'name']).doUpdateSet((eb) => ({
        uri: eb.ref('excluded.uri'),
        sha256: eb.ref('excluded.sha256'),
        size: eb.ref('excluded.size'),
        kind: eb.ref('excluded.kind'),
      })),
    )
    .execute();
}

export async function findArtifact(
  db: Db,
  where: { uri: string } | { sha256: string },
): Promise<ArtifactRef | undefined> {
  let q = db.selectFrom('artifacts').select(['uri', 'sha256', 'size', 'kind']);
  q = 'uri' in where ? q.where('uri', '=', where.uri) : q.where('sha256', '=', where.sha256);
  const row = await q.orderBy('id', 'desc').limit(1).executeTakeFirst();
  return row
    ? { uri: row.uri, sha256: row.sha256, size: Number(row.size), kind: row.kind as ArtifactRef['kind'] }
    : undefined;
}
