import type { ArtifactRef, ArtifactStore } from '../artifacts/store.js';
import type { Db } from '../db/connect.js';
import { ValidationError } from '../errors.js';
import { openVerified } from './verify-stream.js';

/** Where a registration's bytes come from: a step output of a run, or an artifact URI of this store. */
export type ArtifactSource = { source: { runId: string; stepId: string; output: string } } | { artifactUri: string };

/** What a registration reads: the metadata database and the store holding the bytes. */
export interface RegistryDeps {
  db: Db;
  artifacts: ArtifactStore;
}

export interface ResolvedSource {
  artifact: ArtifactRef;
  producer: { runId: string; stepId: string; output: string | null } | null;
  /** The producing step's image digest, when known. */
  image: string | null;
}

const SHA_URI = /^sha256:([0-9a-f]{64})$/;
const SHA_TAIL = /sha256\/[0-9a-f]{2}\/([0-9a-f]{64})$/;

async function imageOf(db: Db, runId: string, stepId: string): Promise<string | null> {
  const step = await db
    .selectFrom('run_steps')
    .select('image_digest')
    .where('run_id', '=', runId)
    .where('step_id', '=', stepId)
    .executeTakeFirst();
  return step?.image_digest ?? null;
}

/** A step served from the step cache records no artifacts row of its own; its outputs are on run_steps. */
async function cachedOutput(db: Db, runId: string, stepId: string, output: string) {
  const step = await db
    .selectFrom('run_steps')
    .select('outputs')
    .where('run_id', '=', runId)
    .where('step_id', '=', stepId)
    .executeTakeFirst();
  const ref = (step?.outputs as Record<string, ArtifactRef | undefined> | undefined)?.[output];
  return ref && typeof ref.uri === 'string' && typeof ref.sha256 === 'string'
    ? { uri: ref.uri, sha256: ref.sha256, size: ref.size, kind: ref.kind }
    : undefined;
}

/**
 * Resolves a source to a stored artifact. Bad references are 400s naming the field. An artifact URI
 * no step recorded (e.g. written by another tool into the store) is hashed once, streaming, to learn
 * its size and prove its digest.
 */
export async function resolveSource(db: Db, store: ArtifactStore, src: ArtifactSource): Promise<ResolvedSource> {
  if ('source' in src) {
    const { runId, stepId, output } = src.source;
    const row =
      (await db
        .selectFrom('artifacts')
        .selectAll()
        .where('run_id', '=', runId)
        .where('step_id', '=', stepId)
        .where('name', '=', output)
        .executeTakeFirst()) ?? (await cachedOutput(db, runId, stepId, output));
    if (!row) {
      throw new ValidationError(`run ${runId} step ${stepId} recorded no output "${output}"`, [
        {
          path: 'body.source',
          message: `no artifact for run ${runId}, step ${stepId}, output ${output} (has the step succeeded?)`,
        },
      ]);
    }
    return {
      artifact: { uri: row.uri, sha256: row.sha256, size: Number(row.size), kind: row.kind as ArtifactRef['kind'] },
      producer: { runId, stepId, output },
      image: await imageOf(db, runId, stepId),
    };
  }
  const uri = src.artifactUri;
  const bad = (message: string) => new ValidationError(message, [{ path: 'body.artifactUri', message }]);
  const bySha = SHA_URI.exec(uri)?.[1];
  if (!bySha && !store.owns(uri))
    throw bad(`${uri} is not a URI of the configured ${store.kind} artifact store (nor sha256:<hex>)`);
  let q = db.selectFrom('artifacts').selectAll();
  q = bySha ? q.where('sha256', '=', bySha) : q.where('uri', '=', uri);
  const row = await q.orderBy('id').limit(1).executeTakeFirst();
  if (row) {
    const producer = row.run_id && row.step_id ? { runId: row.run_id, stepId: row.step_id, output: row.name } : null;
    return {
      artifact: { uri: row.uri, sha256: row.sha256, size: Number(row.size), kind: row.kind as ArtifactRef['kind'] },
      producer,
      image: producer ? await imageOf(db, producer.runId, producer.stepId) : null,
    };
  }
  const sha = SHA_TAIL.exec(uri)?.[1];
  if (bySha || !sha || !(await store.exists(uri))) throw bad(`no artifact is stored at ${uri}`);
  let size = 0;
  try {
    for await (const chunk of (await openVerified(store, { uri, sha256: sha })) as AsyncIterable<Buffer>)
      size += chunk.length;
  } catch (err) {
    throw bad(`the artifact at ${uri} is unreadable or corrupt: ${(err as Error).message}`);
  }
  return { artifact: { uri, sha256: sha, size, kind: 'file' }, producer: null, image: null };
}

/** An uploaded file, or the artifact a request points at; with the file name to infer the format from. */
export async function sourceOf(
  db: Db,
  store: ArtifactStore,
  req: unknown,
  uploaded?: { artifact: ArtifactRef; fileName: string },
): Promise<{ src: ResolvedSource; fileName: string | null }> {
  if (uploaded)
    return { src: { artifact: uploaded.artifact, producer: null, image: null }, fileName: uploaded.fileName };
  const src = await resolveSource(db, store, req as ArtifactSource);
  return { src, fileName: src.producer?.output ?? null };
}
