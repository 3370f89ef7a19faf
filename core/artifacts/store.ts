import type { Readable } from 'node:stream';

/** A stored, content-addressed artifact. Small: this is what workflows carry, never bytes. */
export interface ArtifactRef {
  /** Store-specific URI, e.g. file:///data/artifacts/sha256/ab/ab12… or s3://bucket/prefix/sha256/ab/ab12… */
  uri: string;
  /** Hex sha256 of the stored bytes (for a directory: of its deterministic tar). */
  sha256: string;
  size: number;
  /** A directory output is stored as a deterministic tar and unpacked again as a directory. */
  kind: 'file' | 'dir';
}

/**
 * Pluggable artifact storage. Implementations stream: no artifact is ever held whole in memory.
 * Writes are idempotent: the same content always lands at the same URI.
 */
export interface ArtifactStore {
  readonly kind: 'local' | 's3';
  /** Stores a file or a directory from the local disk. */
  putPath(path: string): Promise<ArtifactRef>;
  /** Stores a stream of bytes (spooled to a temporary file first, so it can be hashed). */
  putStream(body: Readable): Promise<ArtifactRef>;
  /** Opens the stored bytes as a stream (for a dir: the tar). */
  open(uri: string): Promise<Readable>;
  /** Materialises an artifact at `dest` (a file, or a directory for kind 'dir'), verifying its sha256. */
  fetchTo(ref: Pick<ArtifactRef, 'uri' | 'sha256' | 'kind'>, dest: string): Promise<void>;
  exists(uri: string): Promise<boolean>;
  /** True when this store wrote `uri` (so a ref from another store is rejected clearly). */
  owns(uri: string): boolean;
}
