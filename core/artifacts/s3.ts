import { createReadStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import {
  CreateBucketCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { contentKey, hashFile, parseContentKey, spoolTo, type Digest } from './digest.js';
import { materialize } from './materialize.js';
import { presignS3 } from './presign.js';
import type { ArtifactRef, ArtifactStore } from './store.js';
import { packDir } from './tarball.js';

export interface S3ArtifactStoreOptions {
  /** The caller configures it; a local endpoint (MinIO) needs forcePathStyle and an explicit region. */
  client: S3Client;
  bucket: string;
  /** Key prefix inside the bucket, e.g. "sluice/artifacts". */
  prefix?: string;
}

const PART_SIZE = 8 * 1024 * 1024;
const QUEUE_SIZE = 2;

/** Content-addressed artifacts in S3: key `<prefix>/sha256/<first2>/<hex>`, URI `s3://<bucket>/<key>`. */
export class S3ArtifactStore implements ArtifactStore {
  readonly kind = 's3' as const;
  readonly bucket: string;
  readonly client: S3Client;
  private readonly keyPrefix: string;
  private readonly uriPrefix: string;

  constructor(opts: S3ArtifactStoreOptions) {
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(opts.bucket))
      throw new Error(`invalid S3 bucket name: ${JSON.stringify(opts.bucket)}`);
    this.client = opts.client;
    this.bucket = opts.bucket;
    const prefix = (opts.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.keyPrefix = prefix ? `${prefix}/` : '';
    this.uriPrefix = `s3://${this.bucket}/${this.keyPrefix}`;
  }

  /** Creates the bucket when it does not exist yet. */
  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      if ((err as Error).name !== 'BucketAlreadyOwnedByYou') throw err;
    }
  }

  async putPath(path: string): Promise<ArtifactRef> {
    const st = await stat(path);
    if (st.isDirectory()) {
      return withTempFile(async (tmp) => this.upload(tmp, await spoolTo(await packDir(path), tmp), 'dir'));
    }
    if (!st.isFile()) throw new Error(`cannot store ${path}: not a regular file or a directory`);
    return this.upload(path, await hashFile(path), 'file');
  }

  putStream(body: Readable): Promise<ArtifactRef> {
    return withTempFile(async (tmp) => this.upload(tmp, await spoolTo(body, tmp), 'file'));
  }

  async open(uri: string): Promise<Readable> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(uri) }));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) throw new Error(`artifact not found: ${uri}`, { cause: err });
      throw err;
    }
  }

  async fetchTo(ref: Pick<ArtifactRef, 'uri' | 'sha256' | 'kind'>, dest: string): Promise<void> {
    await materialize(await this.open(ref.uri), ref, dest);
  }

  async exists(uri: string): Promise<boolean> {
    return this.objectExists(this.keyOf(uri));
  }

  owns(uri: string): boolean {
    return uri.startsWith(this.uriPrefix) && parseContentKey(uri.slice(this.uriPrefix.length)) !== undefined;
  }

  /** Streams `path` up in 8 MiB parts (at most two in flight) unless the content is already stored. */
  private async upload(path: string, { sha256, size }: Digest, kind: ArtifactRef['kind']): Promise<ArtifactRef> {
    const key = this.keyPrefix + contentKey(sha256);
    if (!(await this.objectExists(key))) {
      await new Upload({
        client: this.client,
        params: { Bucket: this.bucket, Key: key, Body: createReadStream(path), Metadata: { sha256 } },
        partSize: PART_SIZE,
        queueSize: QUEUE_SIZE,
        leavePartsOnError: false,
      }).done();
    }
    return { uri: `s3://${this.bucket}/${key}`, sha256, size, kind };
  }

  private async objectExists(key: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * Working objects outside the content-addressed space (the kubernetes executor's transfers):
   * `<prefix>/<rel>`, presigned for a pod that holds no credentials, read back and removed.
   */
  workKey(rel: string): string {
    return this.keyPrefix + rel.replace(/^\/+/, '');
  }

  presign(key: string, method: 'GET' | 'PUT', expiresInSeconds: number): Promise<string> {
    return presignS3(this.client, this.bucket, key, method, expiresInSeconds);
  }

  /** The object's bytes, or undefined when there is none. */
  async openKey(key: string): Promise<Readable | undefined> {
    try {
      const res = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return res.Body as Readable;
    } catch (err) {
      if (isNotFound(err)) return undefined;
      throw err;
    }
  }

  /** Removes every object under `<prefix>/<rel>`; none is fine. */
  async deletePrefix(rel: string): Promise<void> {
    const Prefix = this.workKey(rel);
    let ContinuationToken: string | undefined;
    do {
      const page = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix, ContinuationToken }));
      const keys = (page.Contents ?? []).map((o) => ({ Key: o.Key! }));
      if (keys.length > 0)
        await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys } }));
      ContinuationToken = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** The object key of a URI this store wrote. */
  keyOf(uri: string): string {
    if (!this.owns(uri)) {
      throw new Error(
        `artifact URI ${JSON.stringify(uri)} does not belong to the S3 artifact store ${this.uriPrefix} ` +
          '(it was written by another store; every worker must be configured with the same artifact store)',
      );
    }
    return uri.slice(`s3://${this.bucket}/`.length);
  }
}

function isNotFound(err: unknown): boolean {
  const e = err as { name?: string; $metadata?: { httpStatusCode?: number } };
  return (
    e.name === 'NotFound' || e.name === 'NoSuchKey' || e.name === 'NoSuchBucket' || e.$metadata?.httpStatusCode === 404
  );
}

async function withTempFile<T>(fn: (path: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-artifact-'));
  try {
    return await fn(join(dir, 'spool'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
