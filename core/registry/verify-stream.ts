import { createHash } from 'node:crypto';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream';
import type { ArtifactRef, ArtifactStore } from '../artifacts/store.js';
import { SluiceError } from '../errors.js';

/**
 * Verifies the sha256 of what flows through it and holds back the last chunk until it has: a
 * mismatch then fails the stream before the final bytes leave, so an HTTP client with a
 * Content-Length sees a truncated (aborted) response, never a complete corrupt one.
 */
export class HoldBackVerifier extends Transform {
  private readonly hash = createHash('sha256');
  private held: Buffer | undefined;

  constructor(
    private readonly expected: string,
    private readonly what: string,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
    this.hash.update(chunk);
    const prev = this.held;
    this.held = chunk;
    done(null, prev);
  }

  override _flush(done: TransformCallback): void {
    const actual = this.hash.digest('hex');
    if (actual !== this.expected) {
      done(
        new SluiceError(
          'artifact-corrupt',
          500,
          `sha256 mismatch for ${this.what}: expected ${this.expected}, got ${actual} (corrupt or tampered artifact)`,
        ),
      );
      return;
    }
    done(null, this.held);
  }
}

/** The stored bytes of `ref` as a stream that errors (before its end) if they do not hash to `ref.sha256`. */
export async function openVerified(store: ArtifactStore, ref: Pick<ArtifactRef, 'uri' | 'sha256'>): Promise<Readable> {
  const body = await store.open(ref.uri);
  const verifier = new HoldBackVerifier(ref.sha256, ref.uri);
  // pipeline() forwards a source error to the verifier, which a consumer sees as the stream's error.
  return pipeline(body, verifier, () => undefined);
}
