import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream } from 'node:stream/web';
import type { ApiClient } from './client.js';

/** Below this a progress line would only flicker. */
const PROGRESS_MIN_BYTES = 8 * 1024 ** 2;

export interface Downloaded {
  file: string;
  size: number;
  sha256: string;
}

const mb = (n: number) => `${(n / 1024 ** 2).toFixed(1)} MB`;

/** The file name the API suggests (Content-Disposition), stripped of any directory part. */
function suggestedName(res: Response): string | undefined {
  const m = /filename="([^"]+)"/.exec(res.headers.get('content-disposition') ?? '');
  return m ? basename(m[1]!) : undefined;
}

/** The sha256 the API vouches for: its own header, else the ETag `"sha256:<hex>"`. */
function announcedSha(res: Response): string | undefined {
  return res.headers.get('x-sluice-sha256') ?? /^"sha256:([0-9a-f]{64})"$/.exec(res.headers.get('etag') ?? '')?.[1];
}

/**
 * Streams an artifact into `<file>.part`, hashing it on the way, and renames it into place only when
 * the sha256 matches the one the API announced: a truncated or corrupt download never lands as `file`.
 */
export async function downloadArtifact(client: ApiClient, path: string, output?: string): Promise<Downloaded> {
  const res = await client.send('GET', path);
  const expected = announcedSha(res);
  const file = output ?? suggestedName(res) ?? basename(path);
  const total = Number(res.headers.get('content-length') ?? 0);
  const showProgress = Boolean(process.stderr.isTTY) && total >= PROGRESS_MIN_BYTES;
  const hash = createHash('sha256');
  let size = 0;
  let shown = 0;
  const meter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      hash.update(chunk);
      size += chunk.length;
      if (showProgress && size - shown >= 1024 ** 2) {
        shown = size;
        process.stderr.write(`\r  ${mb(size)} / ${mb(total)} (${Math.floor((100 * size) / total)}%)`);
      }
      done(null, chunk);
    },
  });
  const part = `${file}.part`;
  try {
    await pipeline(Readable.fromWeb(res.body as ReadableStream<Uint8Array>), meter, createWriteStream(part));
  } catch (e) {
    await rm(part, { force: true });
    throw new Error(
      `download of ${path} broke off after ${size} bytes (${(e as Error).message}); nothing was written`,
      {
        cause: e,
      },
    );
  } finally {
    if (showProgress) process.stderr.write('\n');
  }
  const sha256 = hash.digest('hex');
  if (expected && sha256 !== expected) {
    await rm(part, { force: true });
    throw new Error(`sha256 mismatch: got ${sha256}, the API announced ${expected}; nothing was written`);
  }
  await rename(part, file);
  return { file, size, sha256 };
}
