/** One pass over an ingest source: hash, spool to disk, profile and check the schema, with heartbeats and progress. */
import { ApplicationFailure, type Context } from '@temporalio/activity';
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { FailureType } from '../../core/errors.js';
import type { ExpectedSchema } from '../../core/pipeline/kinds/ingest.js';
import type { LogWriter } from '../../core/logs/store.js';
import { CsvError } from '../../core/registry/profiling/csv.js';
import type { DatasetStats } from '../../core/registry/profiling/csv-stats.js';
import { SchemaMismatch } from '../../core/registry/profiling/expected-schema.js';
import { StreamProfiler } from '../../core/registry/profiling/stream-profile.js';

const PROGRESS_EVERY_MS = 5_000;

const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

export async function readProfiled(
  ctx: Context,
  log: LogWriter,
  body: Readable,
  spool: string,
  schema: ExpectedSchema | undefined,
): Promise<{ sha256: string; bytes: number; stats: DatasetStats }> {
  const hash = createHash('sha256');
  const profiler = new StreamProfiler(schema);
  let bytes = 0;
  let lastProgress = Date.now();
  const tap = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      bytes += chunk.length;
      try {
        profiler.push(chunk);
      } catch (err) {
        done(err as Error);
        return;
      }
      ctx.heartbeat({ bytes, rows: profiler.rows });
      if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
        lastProgress = Date.now();
        log.write('stdout', `ingest: read ${mb(bytes)}, ${profiler.rows} rows`);
      }
      done(null, chunk);
    },
  });
  try {
    await pipeline(body, tap, createWriteStream(spool), { signal: ctx.cancellationSignal });
    const stats = profiler.end();
    log.write('stdout', `ingest: read ${mb(bytes)}, ${stats.rowCount} rows, ${stats.columns.length} columns`);
    return { sha256: hash.digest('hex'), bytes, stats };
  } catch (err) {
    if (err instanceof SchemaMismatch) {
      throw ApplicationFailure.nonRetryable(
        `the data does not match the expected schema: ${err.message}`,
        FailureType.DataInvalid,
      );
    }
    if (err instanceof CsvError)
      throw ApplicationFailure.nonRetryable(`not a valid CSV: ${err.message}`, FailureType.DataInvalid);
    throw err;
  }
}
