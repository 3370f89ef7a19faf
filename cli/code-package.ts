/** `code: ./dir` in a spec file: packed here and uploaded through the API. */
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { packSpecCode, type SpecWithCode } from '../core/code/spec-code.js';
import type { ApiClient } from './client.js';

/** The spec text to send; the directory is relative to the spec file (to the working directory for stdin). */
export async function resolveCode(
  text: string,
  specFile: string,
  client: ApiClient,
  opts: { upload: boolean },
): Promise<SpecWithCode> {
  const base = specFile === '-' ? process.cwd() : dirname(specFile);
  const upload = async (tarFile: string) =>
    client.json<{ digest: string; created: boolean }>('POST', '/v1/code-packages', {
      raw: { body: new Blob([await readFile(tarFile)]), type: 'application/x-tar' },
    });
  return packSpecCode(text, base, opts.upload ? upload : undefined);
}
