import type {} from '@fastify/multipart';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { ArtifactRef, ArtifactStore } from '../../core/artifacts/store.js';
import { type FieldIssue, SluiceError, ValidationError } from '../../core/errors.js';
import type { Actor } from '../../core/registry/audit.js';
import { openVerified } from '../../core/registry/verify-stream.js';

/** The caller, for registry writes (which append their audit event inside their own transaction). */
export const actorOf = (req: FastifyRequest): Actor => ({ actor: req.principal?.name ?? 'anonymous', requestId: String(req.id) });

/** Uploads stream straight into the artifact store; this only bounds a runaway client. */
export const MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

/**
 * Streams a stored artifact with its digest in ETag / Digest / Repr-Digest. The bytes are verified on
 * the way out; on a mismatch the last chunk is withheld and the response aborted, so a client never
 * receives all Content-Length bytes of a corrupt artifact.
 */
export async function sendArtifact(req: FastifyRequest, reply: FastifyReply, store: ArtifactStore, a: ArtifactRef, fileName: string) {
  const etag = `"sha256:${a.sha256}"`;
  const b64 = Buffer.from(a.sha256, 'hex').toString('base64');
  reply.header('etag', etag).header('digest', `sha-256=${b64}`).header('repr-digest', `sha-256=:${b64}:`).header('x-sluice-sha256', a.sha256);
  if (req.headers['if-none-match'] === etag) return reply.code(304).send();
  let body;
  try {
    body = await openVerified(store, a);
  } catch (err) {
    req.log.error({ err, uri: a.uri }, 'artifact missing from the store');
    throw new SluiceError('artifact-unavailable', 503, `the stored bytes of ${a.uri} cannot be read from the ${store.kind} artifact store`);
  }
  body.on('error', (err) => req.log.error({ err, uri: a.uri }, 'artifact download aborted'));
  return reply.header('content-length', a.size).header('content-disposition', `attachment; filename="${fileName}"`)
    .type(a.kind === 'dir' ? 'application/x-tar' : 'application/octet-stream').send(body);
}

function zodIssues(prefix: string, issues: Array<{ path: PropertyKey[]; message: string }>): FieldIssue[] {
  return issues.map((i) => ({
    path: `${prefix}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`, message: i.message,
  }));
}

/**
 * Reads a multipart upload: a `metadata` field (JSON, validated by `schema`) and one `file` part, which
 * is streamed into the store, never buffered whole. Metadata sent before the file is validated before
 * any byte is stored.
 */
export async function readUpload<T>(
  req: FastifyRequest, store: ArtifactStore, schema: ZodType<T>,
): Promise<{ metadata: T; artifact: ArtifactRef; fileName: string }> {
  const usage = 'send multipart/form-data with a "metadata" field (JSON) and then a "file" part';
  if (!req.isMultipart()) throw new ValidationError(`expected multipart/form-data: ${usage}`, [{ path: 'body', message: usage }]);
  let metadata: T | undefined;
  const parseMetadata = (text: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ValidationError('the metadata field is not JSON', [{ path: 'metadata', message: (err as Error).message }]);
    }
    const parsed = schema.safeParse(raw);
    if (!parsed.success) {
      const errors = zodIssues('metadata', parsed.error.issues);
      throw new ValidationError(`invalid metadata: ${errors.map((e) => `${e.path}: ${e.message}`).join('; ')}`, errors);
    }
    return parsed.data;
  };
  let upload: { artifact: ArtifactRef; fileName: string } | undefined;
  let metadataText: string | undefined;
  for await (const part of req.parts({ limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, fieldSize: 1024 * 1024 } })) {
    if (part.type === 'file') {
      if (part.fieldname !== 'file') throw new ValidationError(`unexpected file part "${part.fieldname}"`, [{ path: part.fieldname, message: usage }]);
      if (metadataText !== undefined) metadata = parseMetadata(metadataText);
      try {
        upload = { artifact: await store.putStream(part.file), fileName: part.filename };
      } catch (err) {
        if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
          throw new SluiceError('upload-too-large', 413, `the file is larger than the upload limit of ${MAX_UPLOAD_BYTES} bytes`);
        }
        throw err;
      }
    } else if (part.fieldname === 'metadata') {
      metadataText = String(part.value);
    } else {
      throw new ValidationError(`unexpected field "${part.fieldname}"`, [{ path: part.fieldname, message: usage }]);
    }
  }
  if (!upload) throw new ValidationError('no file part', [{ path: 'file', message: usage }]);
  metadata ??= parseMetadata(metadataText ?? '{}');
  return { metadata, ...upload };
}
