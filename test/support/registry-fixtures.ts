import { createHash } from 'node:crypto';
import type { ArtifactRef } from '../../core/artifacts/store.js';
import type { Actor } from '../../core/access/audit.js';

/** A well-formed artifact ref for repository tests that never read the bytes. */
export function fakeArtifact(seed: string, size = 10): ArtifactRef {
  const sha256 = createHash('sha256').update(seed).digest('hex');
  return { uri: `file:///tmp/artifacts/sha256/${sha256.slice(0, 2)}/${sha256}`, sha256, size, kind: 'file' };
}

export const tester: Actor = { actor: 'tester', requestId: 'req-test' };
