import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export interface Digest {
  sha256: string;
  size: number;
}

/** A pass-through that hashes and counts what flows through it. */
export class HashingStream extends Transform {
  private readonly hash = createHash('sha256');
  private bytes = 0;

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    this.bytes += chunk.length;
    done(null, chunk);
  }

  /** Valid once the stream has finished. */
  digest(): Digest {
    return { sha256: this.hash.digest('hex'), size: this.bytes };
  }
}

/**
 * A pass-through that fails the pipeline at the end when the bytes do not hash to `expected`,
 * so the consumer never commits a corrupt result.
 */
export class VerifyingStream extends Transform {
  private readonly hash = createHash('sha256');

  constructor(
    private readonly expected: string,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    done(null, chunk);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual === this.expected) done();
    else
      done(
        new Error(
          `sha256 mismatch for ${this.what}: expected ${this.expected}, got ${actual} (corrupt or tampered artifact)`,
        ),
      );
  }
}

/** sha256 and size of a file, read as a stream. */
export async function hashFile(path: string): Promise<Digest> {
  const hash = createHash('sha256');
  let size = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    hash.update(chunk);
    size += chunk.length;
  }
  return { sha256: hash.digest('hex'), size };
}

/** Writes `body` to `dest` (which must not exist yet) while hashing it. */
export async function spoolTo(body: Readable | AsyncIterable<Buffer>, dest: string): Promise<Digest> {
  const hasher = new HashingStream();
  await pipeline(body, hasher, createWriteStream(dest, { flags: 'wx' }));
  return hasher.digest();
}

const HEX64 = /^[0-9a-f]{64}$/;

/** The content-addressed relative key for a digest: `sha256/<first2>/<hex>`. */
export function contentKey(sha256: string): string {
  if (!HEX64.test(sha256)) throw new Error(`not a hex sha256: ${JSON.stringify(sha256)}`);
  return `sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** The hex digest from a content key's tail, or undefined when `tail` is not `sha256/<first2>/<hex>`. */
export function parseContentKey(tail: string): string | undefined {
  const m = /^sha256\/([0-9a-f]{2})\/([0-9a-f]{64})$/.exec(tail);
  return m && m[2]!.startsWith(m[1]!) ? m[2] : undefined;
}
