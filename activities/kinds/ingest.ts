/** The ingest activity: stream a source once (hash, spool, profile, check), store it, register or reuse a dataset version. */
import { ApplicationFailure, Context } from '@temporalio/activity';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { recordArtifact } from '../../core/artifacts/records.js';
import type { ArtifactRef } from '../../core/artifacts/store.js';
import type { IngestPlanStep } from '../../core/pipeline/kinds/ingest.js';
import type { DatasetStats } from '../../core/registry/profiling/csv-stats.js';
import type { LogWriter } from '../../core/logs/store.js';
import type { StepResult } from '../../core/runs/contract.js';
import type { ActivityDeps } from '../deps.js';
import { openIngestSource } from './ingest-sources.js';
import { readProfiled } from './ingest-read.js';
import { registerIngested } from './ingest-register.js';

export interface IngestInput {
  runId: string;
  step: IngestPlanStep;
  /** The resolved upstream artifact of a step-output source. */
  source?: ArtifactRef;
  /** The run's creator: the actor of the dataset version it registers. */
  createdBy?: string;
}

export function ingestActivity(deps: ActivityDeps) {
  return async function ingest(input: IngestInput): Promise<StepResult> {
    const ctx = Context.current();
    const started = Date.now();
    const { runId, step } = input;
    const log = deps.logs.writer(runId, step.id);
    const workDir = join(deps.workRoot, runId, step.id);
    const spool = join(workDir, 'ingest.data');
    try {
      log.write(
        'stdout',
        `ingest: reading ${step.sourceText} into dataset ${step.dataset} (attempt ${ctx.info.attempt})`,
      );
      await mkdir(workDir, { recursive: true });
      const body = await openIngestSource(deps, step.source, input.source, ctx.cancellationSignal);
      const read = await readProfiled(ctx, log, body, spool, step.schema);
      if (input.source && input.source.sha256 !== read.sha256) {
        throw new Error(`steps output ${input.source.uri} changed while read (sha256 ${read.sha256})`);
      }
      const ref = await deps.artifacts.putPath(spool);
      await recordArtifact(deps.db, ref, { runId, stepId: step.id, name: 'dataset' });
      const reg = await registerIngested(deps, input, ref, read.stats);
      log.write('stdout', describe(step, reg, read.stats, ref));
      return {
        status: 'succeeded',
        outputs: { dataset: ref },
        metrics: { rows: read.stats.rowCount },
        attempt: ctx.info.attempt,
        durationMs: Date.now() - started,
        details: {
          dataset: step.dataset,
          version: reg.version,
          digest: ref.sha256,
          reused: reg.reused,
          rows: read.stats.rowCount,
          uri: reg.uri,
        },
      };
    } catch (err) {
      logFailure(log, err);
      throw err;
    } finally {
      await rm(spool, { force: true });
      await log.close();
    }
  };
}

function describe(
  step: IngestPlanStep,
  reg: { version: number; reused: boolean; uri: string },
  stats: DatasetStats,
  ref: ArtifactRef,
): string {
  const digest = `sha256 ${ref.sha256.slice(0, 12)}…`;
  return reg.reused
    ? `ingest: same content as ${reg.uri} (${digest}); reusing version ${reg.version}, no new version`
    : `ingest: registered ${reg.uri} (${stats.rowCount} rows, ${ref.size} bytes, ${digest})`;
}

function logFailure(log: LogWriter, err: unknown): void {
  const message = err instanceof ApplicationFailure || err instanceof Error ? err.message : String(err);
  log.write('stderr', `ingest failed: ${message}`);
}
