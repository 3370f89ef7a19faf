/** Opens an ingest step's source as a byte stream, within the worker's allowed roots and hosts. */
import { GetObjectCommand } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import { sep } from 'node:path';
import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { S3ArtifactStore } from '../../core/artifacts/s3.js';
import type { ArtifactRef } from '../../core/artifacts/store.js';
import { FailureType } from '../../core/errors.js';
import type { IngestSource } from '../../core/pipeline/kinds/ingest.js';
import type { ActivityDeps } from '../deps.js';

const MAX_REDIRECTS = 5;
const refuse = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.InvalidStep);
const notFound = (message: string) => ApplicationFailure.nonRetryable(message, FailureType.InputNotFound);

async function isUnder(path: string, roots: readonly string[]): Promise<boolean> {
  for (const root of roots) {
    const real = await realpath(root).catch(() => undefined);
    if (real && (path === real || path.startsWith(real.endsWith(sep) ? real : real + sep))) return true;
  }
  return false;
}

async function openFile(deps: ActivityDeps, path: string): Promise<Readable> {
  const roots = deps.ingest?.roots ?? [];
  if (roots.length === 0) throw refuse(`file sources are disabled on this worker (set SLUICE_INGEST_ROOTS)`);
  // Symlinks are followed first, so a link inside a root cannot reach outside it.
  const real = await realpath(path).catch(() => undefined);
  if (!real) {
    if (await isUnder(path, roots)) throw notFound(`source file ${path} does not exist`);
    throw refuse(`source file ${path} is outside the allowed roots (SLUICE_INGEST_ROOTS: ${roots.join(':')})`);
  }
  if (!(await isUnder(real, roots))) {
    throw refuse(`source file ${path} is outside the allowed roots (SLUICE_INGEST_ROOTS: ${roots.join(':')})`);
  }
  if (!(await stat(real)).isFile()) throw refuse(`source ${path} is not a regular file`);
  return createReadStream(real);
}

async function openS3(deps: ActivityDeps, bucket: string, key: string): Promise<Readable> {
  const store = deps.artifacts;
  if (!(store instanceof S3ArtifactStore)) {
    throw refuse(`s3:// sources need the S3 artifact store (SLUICE_S3_BUCKET and its credentials) on the worker`);
  }
  try {
    const res = await store.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return res.Body as Readable;
  } catch (err) {
    const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
    if (e.name === 'NoSuchKey' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404) {
      throw notFound(`source s3://${bucket}/${key} does not exist`);
    }
    if (e.name === 'AccessDenied' || e.$metadata?.httpStatusCode === 403) {
      throw refuse(`source s3://${bucket}/${key}: access denied with the artifact store's credentials`);
    }
    throw err;
  }
}

function hostAllowed(url: URL, hosts: readonly string[]): boolean {
  const name = url.hostname.toLowerCase();
  return hosts.some((h) => h === name || h === url.host.toLowerCase());
}

async function openHttp(deps: ActivityDeps, href: string, signal: AbortSignal): Promise<Readable> {
  const hosts = deps.ingest?.hosts ?? [];
  let url = new URL(href);
  // Redirects are followed by hand so every hop is checked against the allowed hosts.
  for (let hop = 0; ; hop++) {
    if (!hostAllowed(url, hosts)) {
      throw refuse(
        `host ${url.host} is not an allowed ingest host (SLUICE_INGEST_HOSTS: ${hosts.join(',') || 'none'})`,
      );
    }
    const res = await fetch(url, { redirect: 'manual', signal });
    const location = res.headers.get('location');
    if (res.status >= 300 && res.status < 400 && location) {
      await res.body?.cancel();
      if (hop >= MAX_REDIRECTS) throw refuse(`source ${href}: more than ${MAX_REDIRECTS} redirects`);
      url = new URL(location, url);
      continue;
    }
    if (res.status === 404 || res.status === 410) throw notFound(`source ${url.href} answered ${res.status}`);
    if (res.status >= 400 && res.status < 500) throw refuse(`source ${url.href} answered ${res.status}`);
    // A 5xx (or a dropped connection) may pass: a plain error, so the activity retries.
    if (!res.ok || !res.body) throw new Error(`source ${url.href} answered ${res.status}`);
    return Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
  }
}

/** The source's bytes; `upstream` is the resolved artifact of a step-output source. */
export async function openIngestSource(
  deps: ActivityDeps,
  source: IngestSource,
  upstream: ArtifactRef | undefined,
  signal: AbortSignal,
): Promise<Readable> {
  switch (source.type) {
    case 'step':
      if (!upstream) throw notFound(`step ${source.step} produced no output ${source.output}`);
      if (upstream.kind !== 'file')
        throw refuse(`steps.${source.step}.outputs.${source.output} is a directory; ingest reads one file`);
      return deps.artifacts.open(upstream.uri);
    case 'file':
      return openFile(deps, source.path);
    case 's3':
      return openS3(deps, source.bucket, source.key);
    case 'http':
      return openHttp(deps, source.url, signal);
  }
}
