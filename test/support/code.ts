import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { storeCodePackage } from '../../core/code/packages.js';
import { packSpecCode } from '../../core/code/spec-code.js';
import type { Harness } from './harness.js';

/**
 * A spec file's text with its `code:` directory packed into the harness' store and named by
 * digest, as `sluice pipelines apply -f` would leave it.
 */
export async function specWithCode(h: Harness, specFile: URL | string): Promise<string> {
  const path = typeof specFile === 'string' ? specFile : fileURLToPath(specFile);
  const { text } = await packSpecCode(await readFile(path, 'utf8'), dirname(path), (tar) =>
    storeCodePackage({ db: h.db, artifacts: h.deps.artifacts }, { actor: 'test' }, tar),
  );
  return text;
}
