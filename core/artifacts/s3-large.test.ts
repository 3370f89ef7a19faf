import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DeleteBucketCommand, DeleteObjectCommand, GetObjectCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, expect, it } from 'vitest';
import { testS3Client, uniqueId } from '../../test/support/services.js';
import type { ArtifactRef } from './store.js';
import { S3ArtifactStore } from './s3.js';

const GiB = 1024 ** 3;
const MiB = 1024 ** 2;
const bucket = uniqueId('art');
const client = testS3Client();
let work: string | undefined;
let key: string | undefined;

afterAll(async () => {
  if (work) await rm(work, { recursive: true, force: true });
  if (key) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  await client.send(new DeleteBucketCommand({ Bucket: bucket })).catch(() => undefined);
  client.destroy();
});

/** Streams `size` pseudo-random bytes to `path` 1 MiB at a time, hashing them as they are produced. */
async function writeRandomFile(path: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  async function* chunks() {
    for (let left = size; left > 0; left -= MiB) {
      const chunk = randomBytes(Math.min(MiB, left));
      hash.update(chunk);
      yield chunk;
    }
  }
  await pipeline(Readable.from(chunks()), createWriteStream(path));
  return hash.digest('hex');
}

it('uploads a 1 GiB artifact with bounded memory', { timeout: 300_000 }, async () => {
  await new S3ArtifactStore({ client, bucket }).ensureBucket();
  work = await mkdtemp(join(tmpdir(), 'sluice-s3-large-'));
  const file = join(work, 'big.bin');
  const expected = await writeRandomFile(file, GiB);

  const child = fileURLToPath(new URL('../../test/fixtures/s3-large-upload.ts', import.meta.url));
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', child, bucket, file], {
    cwd: fileURLToPath(new URL('../..', import.meta.url)),
    timeout: 240_000,
  });
  const result = JSON.parse(stdout.trim().split('\n').pop()!) as {
    ref: ArtifactRef;
    ms: number;
    vmHwmKiB: number;
    maxRssKiB: number;
  };
  key = result.ref.uri.slice(`s3://${bucket}/`.length);
  const peakMiB = result.vmHwmKiB / 1024;
  console.log(
    `1 GiB putPath: ${result.ms} ms, child peak RSS ${peakMiB.toFixed(1)} MiB (maxRSS ${(result.maxRssKiB / 1024).toFixed(1)} MiB)`,
  );

  expect(peakMiB).toBeLessThan(300);
  expect(result.ref).toMatchObject({ sha256: expected, size: GiB, kind: 'file' });
  const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
  expect(head.ContentLength).toBe(GiB);
  // The bytes MinIO holds hash to the same digest (streamed back, never whole in memory).
  const body = (await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))).Body as Readable;
  const stored = createHash('sha256');
  for await (const chunk of body) stored.update(chunk as Buffer);
  expect(stored.digest('hex')).toBe(expected);
});
