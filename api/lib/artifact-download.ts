import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ArtifactRef, ArtifactStore } from '../../core/artifacts/store.js';
import { SluiceError } from '../../core/errors.js';
import { openVerified } from '../../core/registry/verify-stream.js';

/**
 * Streams a stored artifact with its digest in ETag / Digest / Repr-Digest. The bytes are verified on
 * the way out; on a mismatch the last chunk is withheld and the response aborted, so a client never
 * receives all Content-Length bytes of a corrupt artifact.
 */
export async function sendArtifact(
  req: FastifyRequest,
  reply: FastifyReply,
  store: ArtifactStore,
  a: ArtifactRef,
  fileName: string,
) {
  const etag = `"sha256:${a.sha256}"`;
  const b64 = Buffer.from(a.sha256, 'hex').toString('base64');
  reply
    .header('etag', etag)
    .header('digest', `sha-256=${b64}`)
    .header('repr-digest', `sha-256=:${b64}:`)
    .header('x-sluice-sha256', a.sha256);
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  let body;
  try {
    body = await openVerified(store, a);
  } catch (err) {
    const unavailable = new SluiceError(
      'artifact-unavailable',
      503,
      `the stored bytes of ${a.uri} cannot be read from the ${store.kind} artifact store`,
    );
    unavailable.cause = err;
    throw unavailable;
  }
  body.on('error', (err) => req.log.error({ err, uri: a.uri }, 'artifact download aborted'));
  return reply
    .header('content-length', a.size)
    .header('content-disposition', `attachment; filename="${fileName}"`)
    .type(a.kind === 'dir' ? 'application/x-tar' : 'application/octet-stream')
    .send(body);
}
