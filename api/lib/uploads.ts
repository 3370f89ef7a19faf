import type {} from '@fastify/multipart';
import type { FastifyRequest } from 'fastify';
import type { ZodType } from 'zod';
import type { ArtifactRef, ArtifactStore } from '../../core/artifacts/store.js';
import { type FieldIssue, SluiceError, ValidationError } from '../../core/errors.js';

/** How an upload route's body is laid out (its OpenAPI description). */
export const UPLOAD_HELP =
  'multipart/form-data: a "metadata" field holding the JSON fields of the JSON registration ' +
  '(without source/artifactUri), then a "file" part with the bytes, streamed into the artifact store';

/** Uploads stream straight into the artifact store; this only bounds a runaway client. */
export const MAX_UPLOAD_BYTES = 64 * 1024 ** 3;

function zodIssues(prefix: string, issues: Array<{ path: PropertyKey[]; message: string }>): FieldIssue[] {
  return issues.map((i) => ({
    path: `${prefix}${i.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('')}`,
    message: i.message,
  }));
}

/** What busboy says of a body that is not multipart as its Content-Type claims (the needle is the boundary). */
const MALFORMED = /^Multipart: |unexpected end of multipart data$|^The needle cannot/i;

/**
 * Reads a multipart upload: a `metadata` field (JSON, validated by `schema`) and one `file` part, which
 * is streamed into the store, never buffered whole. Metadata sent before the file is validated before
 * any byte is stored.
 */
export async function readUpload<T>(
  req: FastifyRequest,
  store: ArtifactStore,
  schema: ZodType<T>,
): Promise<{ metadata: T; artifact: ArtifactRef; fileName: string }> {
  const usage = 'send multipart/form-data with a "metadata" field (JSON) and then a "file" part';
  if (!req.isMultipart())
    throw new ValidationError(`expected multipart/form-data: ${usage}`, [{ path: 'body', message: usage }]);
  let metadata: T | undefined;
  const parseMetadata = (text: string) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (err) {
      throw new ValidationError('the metadata field is not JSON', [
        { path: 'metadata', message: (err as Error).message },
      ]);
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
  try {
    for await (const part of req.parts({
      limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 4, fieldSize: 1024 * 1024 },
    })) {
      if (part.type === 'file') {
        if (part.fieldname !== 'file')
          throw new ValidationError(`unexpected file part "${part.fieldname}"`, [
            { path: part.fieldname, message: usage },
          ]);
        if (metadataText !== undefined) metadata = parseMetadata(metadataText);
        try {
          upload = { artifact: await store.putStream(part.file), fileName: part.filename };
        } catch (err) {
          if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
            throw new SluiceError(
              'upload-too-large',
              413,
              `the file is larger than the upload limit of ${MAX_UPLOAD_BYTES} bytes`,
            );
          }
          throw err;
        }
      } else if (part.fieldname === 'metadata') {
        metadataText = String(part.value);
      } else {
        throw new ValidationError(`unexpected field "${part.fieldname}"`, [{ path: part.fieldname, message: usage }]);
      }
    }
  } catch (err) {
    // busboy's own errors (no boundary, a cut-off body) are the client's malformed request, not ours.
    if (err instanceof Error && MALFORMED.test(err.message))
      throw new ValidationError(`the multipart body could not be read: ${err.message}`, [
        { path: 'body', message: usage },
      ]);
    throw err;
  }
  if (!upload) throw new ValidationError('no file part', [{ path: 'file', message: usage }]);
  metadata ??= parseMetadata(metadataText ?? '{}');
  return { metadata, ...upload };
}
