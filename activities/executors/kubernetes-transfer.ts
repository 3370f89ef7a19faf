import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { MAX_PRESIGN_SECONDS } from '../../core/artifacts/presign.js';
import type { S3ArtifactStore } from '../../core/artifacts/s3.js';
import { unpackTo } from '../../core/artifacts/tarball.js';
import { DEADLINE_MARGIN_S } from './kubernetes-job.js';
import { emptyDir } from './step-env.js';
import { ExecutorError, type StepRunRequest } from './types.js';

export const DEFAULT_TRANSFER_IMAGE = 'sluice/transfer:1';

/** What a store-mode Job carries: presigned URLs only, never the store's credentials. */
export interface TransferPlan {
  image: string;
  inputsUrl: string;
  codeUrl?: string;
  outputsUrl: string;
  /** Where the pod's outputs tar lands; also kept on the Job (annotation) for a worker that re-attaches. */
  outputsKey: string;
}

/** Pods may wait to be scheduled: the URLs outlive the Job's own deadline by this much. */
const URL_SLACK_S = 600;

/**
 * Inputs, outputs and the code package through the S3 artifact store (SLUICE_K8S_TRANSFER=store),
 * so the worker never needs the pod's filesystem. The worker stages the step's inputs directory
 * and the code package as content-addressed tars (stored once, whatever the number of steps that
 * use them) and presigns a GET for each; the pod's init container (sluice-transfer fetch) unpacks
 * them into emptyDirs. The step runs under `sluice-transfer run`, which PUTs a tar of its outputs
 * to a presigned URL before the container exits; the worker then unpacks that tar into the step's
 * outputs/, so output registration and the cache see what they always see.
 */
export class StoreTransfer {
  readonly image: string;

  constructor(
    private readonly store: S3ArtifactStore,
    opts: { image?: string } = {},
  ) {
    this.image = opts.image ?? DEFAULT_TRANSFER_IMAGE;
  }

  /** Per Job and attempt: the name is deterministic, and a re-attaching worker reads the key from the Job. */
  outputsKey(job: string, attempt: number): string {
    return this.store.workKey(`transfer/${job}/${attempt}/outputs.tar`);
  }

  async prepare(req: StepRunRequest, job: string, inputsDir: string): Promise<TransferPlan> {
    if (req.command.length === 0) {
      throw new ExecutorError(
        'InvalidRequest',
        "SLUICE_K8S_TRANSFER=store needs the step's command: the worker cannot read the image's entrypoint, " +
          'which the transfer wrapper would have to run',
      );
    }
    const expires = Math.ceil(req.timeoutMs / 1000) + DEADLINE_MARGIN_S + URL_SLACK_S;
    if (expires > MAX_PRESIGN_SECONDS) {
      throw new ExecutorError(
        'InvalidRequest',
        `SLUICE_K8S_TRANSFER=store: a timeout of ${Math.round(req.timeoutMs / 1000)} s outlives a presigned URL (at most 7 days)`,
      );
    }
    const outputsKey = this.outputsKey(job, req.attempt);
    // A Job of this name and attempt that was deleted before it ended may have left a tar here.
    await this.store.deletePrefix(`transfer/${job}/${req.attempt}/`);
    const [inputs, code] = await Promise.all([
      this.store.putPath(inputsDir),
      req.codeDir !== undefined ? this.store.putPath(req.codeDir) : undefined,
    ]);
    return {
      image: this.image,
      inputsUrl: await this.store.presign(this.store.keyOf(inputs.uri), 'GET', expires),
      ...(code ? { codeUrl: await this.store.presign(this.store.keyOf(code.uri), 'GET', expires) } : {}),
      outputsUrl: await this.store.presign(outputsKey, 'PUT', expires),
      outputsKey,
    };
  }

  /**
   * Replaces outputs/ with what the pod uploaded. False: nothing was uploaded (the step was killed,
   * or its wrapper could not reach the store, which it then says in the termination message).
   */
  async collect(outputsKey: string, outputsDir: string, workDir: string): Promise<boolean> {
    const body = await this.store.openKey(outputsKey);
    if (!body) return false;
    const spool = path.join(workDir, '.outputs.sluice-transfer.tar');
    try {
      await pipeline(body, createWriteStream(spool));
      await emptyDir(outputsDir);
      await unpackTo(spool, outputsDir);
    } finally {
      await rm(spool, { force: true });
    }
    return true;
  }

  /** Removes what the Job's pods uploaded (all attempts); the staged inputs stay, content-addressed. */
  discard(job: string): Promise<void> {
    return this.store.deletePrefix(`transfer/${job}/`);
  }
}
