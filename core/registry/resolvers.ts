import type { ArtifactRef } from '../artifacts/store.js';
import type { Db } from '../db/connect.js';
import { NotFoundError, ValidationError } from '../errors.js';
import { findDatasetVersion, requireDatasetVersion, type DatasetVersion } from './datasets/versions.js';
import { DATASET_URI_HINT, MODEL_URI_HINT, parseDatasetUri, parseModelUri } from './uris.js';
import { findVersion, requireVersion, type ModelVersion } from './models/versions-read.js';

/** Resolves a step input URI whose scheme is not plain storage (`models:/`, `datasets:/`); undefined: no such version. */
export type UriResolver = (uri: string) => Promise<ArtifactRef | undefined>;

/**
 * Step-input resolvers for the worker (`ActivityDeps.resolvers`): `models:/name/3`, `models:/name@alias`,
 * `models:/name@latest`, `datasets:/name/2`, `datasets:/name@latest`. Undefined means "no such
 * version", which executeStep reports as a non-retryable InputNotFound.
 */
export function registryResolvers(db: Db): Record<string, UriResolver> {
  return {
    'models:/': async (uri) => {
      const m = parseModelUri(uri);
      return m ? (await findVersion(db, m.name, m.ref))?.artifact : undefined;
    },
    'datasets:/': async (uri) => {
      const d = parseDatasetUri(uri);
      return d ? (await findDatasetVersion(db, d.name, d.ref))?.artifact : undefined;
    },
  };
}

/** For the API: a model URI to its version, or a 400 naming `path` / a 404 saying what is missing. */
export async function resolveModelUri(db: Db, uri: string, path = 'uri'): Promise<ModelVersion> {
  const m = parseModelUri(uri);
  if (!m)
    throw new ValidationError(`invalid model URI ${JSON.stringify(uri)}`, [
      { path, message: `expected ${MODEL_URI_HINT}` },
    ]);
  return requireVersion(db, m.name, m.ref);
}

export async function resolveDatasetUri(db: Db, uri: string, path = 'uri'): Promise<DatasetVersion> {
  const d = parseDatasetUri(uri);
  if (!d)
    throw new ValidationError(`invalid dataset URI ${JSON.stringify(uri)}`, [
      { path, message: `expected ${DATASET_URI_HINT}` },
    ]);
  return requireDatasetVersion(db, d.name, d.ref);
}

/** Dataset URIs given in a request body, each to an existing version (else a 400 naming its index). */
export async function resolveDatasetList(
  db: Db,
  uris: string[],
  path: string,
): Promise<Array<{ name: string; version: number }>> {
  const out: Array<{ name: string; version: number }> = [];
  for (const [i, uri] of uris.entries()) {
    try {
      const v = await resolveDatasetUri(db, uri, `${path}[${i}]`);
      out.push({ name: v.dataset, version: v.version });
    } catch (err) {
      if (err instanceof NotFoundError)
        throw new ValidationError(err.message, [{ path: `${path}[${i}]`, message: err.message }]);
      throw err;
    }
  }
  return out;
}
