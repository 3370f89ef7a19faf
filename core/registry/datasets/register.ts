import type { ArtifactRef } from '../../artifacts/store.js';
import { ValidationError } from '../../errors.js';
import type { Actor } from '../../access/audit.js';
import { CsvError } from '../profiling/csv.js';
import { csvStats, type DatasetStats } from '../profiling/csv-stats.js';
import { registerDatasetVersion, type DatasetSchema, type DatasetVersion } from './versions.js';
import { inferFormat } from '../formats.js';
import type { Tags } from '../names.js';
import { type RegistryDeps, sourceOf } from '../sources.js';
import { openVerified } from '../verify-stream.js';

export interface DatasetVersionRequest {
  source?: { runId: string; stepId: string; output: string };
  artifactUri?: string;
  format?: string;
  description?: string | null;
  /** Explicit schema: wins over the inferred one. */
  schema?: DatasetSchema;
  /** Explicit statistics: skip profiling. */
  stats?: DatasetStats;
  /** Where the data originally came from (e.g. a warehouse table or an S3 prefix). */
  sourceUri?: string;
  tags?: Tags;
  idempotencyKey?: string;
}

/**
 * Registers a dataset version. A CSV file is profiled (row count, column types, per-column stats) by
 * streaming it from the store with its sha256 verified; other formats keep what the request gives.
 */
export async function registerDataset(
  deps: RegistryDeps,
  dataset: string,
  req: DatasetVersionRequest,
  by: Actor,
  uploaded?: { artifact: ArtifactRef; fileName: string },
): Promise<{ version: DatasetVersion; created: boolean }> {
  const { src, fileName } = await sourceOf(deps.db, deps.artifacts, req, uploaded);
  const format = inferFormat(req.format, fileName, src.artifact.kind);
  let stats = req.stats ?? null;
  if (!stats && format === 'csv' && src.artifact.kind === 'file') {
    try {
      stats = await csvStats(() => openVerified(deps.artifacts, src.artifact));
    } catch (err) {
      if (!(err instanceof CsvError)) throw err;
      const path = uploaded ? 'file' : req.source ? 'body.source' : 'body.artifactUri';
      throw new ValidationError(`could not profile the CSV: ${err.message}`, [
        { path, message: `${err.message}; fix the file, or register it with explicit stats or another format` },
      ]);
    }
  }
  const schema = req.schema ?? (stats ? { columns: stats.columns.map((c) => ({ name: c.name, type: c.type })) } : null);
  return registerDatasetVersion(
    deps.db,
    {
      dataset,
      artifact: src.artifact,
      format,
      producer: src.producer,
      description: req.description ?? null,
      schema,
      stats,
      sourceUri: req.sourceUri ?? null,
      tags: req.tags,
      idempotencyKey: req.idempotencyKey ?? null,
    },
    by,
  );
}
