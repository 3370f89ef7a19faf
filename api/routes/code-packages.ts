import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import { MAX_CODE_PACKAGE_BYTES } from '../../core/code/pack.js';
import { getCodePackageView, storeCodePackage } from '../../core/code/packages.js';
import { NotFoundError, SluiceError, ValidationError } from '../../core/errors.js';
import { CODE_DIGEST } from '../../core/pipeline/schema.js';
import { problems } from '../schemas/common.js';

const TAR_TYPES = ['application/x-tar', 'application/tar'];

const packageView = z.object({
  digest: z.string().describe('sha256:<hex> of the tar; a pipeline spec names it as `code:`'),
  size: z.number().int(),
  files: z.number().int(),
  createdBy: z.string().nullable(),
  createdAt: z.string(),
});
const stored = packageView.extend({
  created: z.boolean().describe('false: a package with this digest was already stored'),
});

const tooLarge = () =>
  new SluiceError(
    'code-package-too-large',
    413,
    `the code package is larger than ${MAX_CODE_PACKAGE_BYTES} bytes; code travels here, data as datasets and artifacts`,
  );

/** Counts bytes and fails the pipeline past the limit, so a runaway body never fills the disk. */
function limit(max: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      done(seen > max ? tooLarge() : null, chunk);
    },
  });
}

/** Code packages: the tar of a pipeline's code directory, uploaded by `sluice pipelines apply -f`. */
export const codePackageRoutes: FastifyPluginAsyncZod = async (app) => {
  const { db, artifacts } = app;
  // The body stays a stream: it is spooled to disk with its own limit, not Fastify's JSON body limit.
  app.addContentTypeParser(TAR_TYPES, (_req, payload, done) => done(null, payload));

  app.post(
    '/code-packages',
    {
      config: { role: 'operator' },
      schema: {
        tags: ['pipelines'],
        summary: 'Store a code package (an uncompressed tar, content-addressed; storing it again is a no-op)',
        description: `Content-Type: application/x-tar; up to ${MAX_CODE_PACKAGE_BYTES} bytes of plain files and directories.`,
        consumes: TAR_TYPES,
        response: { 200: stored, 201: stored, ...problems(400, 413, 429) },
      },
    },
    async (req, reply) => {
      if (!(req.body instanceof Readable))
        throw new ValidationError('send the package as Content-Type: application/x-tar', [
          { path: 'body', message: 'expected an application/x-tar body' },
        ]);
      const dir = await mkdtemp(join(tmpdir(), 'sluice-code-upload-'));
      try {
        const file = join(dir, 'package.tar');
        await pipeline(req.body, limit(MAX_CODE_PACKAGE_BYTES), createWriteStream(file, { flags: 'wx' }));
        const saved = await storeCodePackage({ db, artifacts }, req.actor, file);
        return reply.code(saved.created ? 201 : 200).send(saved);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  );

  app.get(
    '/code-packages/:digest',
    {
      config: { role: 'viewer' },
      schema: {
        tags: ['pipelines'],
        summary: 'A stored code package',
        params: z.strictObject({ digest: z.string().regex(CODE_DIGEST, 'must be sha256:<64 hex>') }),
        response: { 200: packageView, ...problems(400, 404) },
      },
    },
    async (req) => {
      const found = await getCodePackageView(db, req.params.digest);
      if (!found) throw new NotFoundError('code package', req.params.digest);
      return found;
    },
  );
};
