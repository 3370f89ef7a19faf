/** `code: ./dir` in a spec's text: the directory packed, stored by the caller, and named by its digest. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { CODE_DIGEST } from '../pipeline/schema.js';
import { packCode, type PackedCode } from './pack.js';

export interface SpecWithCode {
  /** The spec text with `code` naming the package digest (unchanged when it named no directory). */
  text: string;
  /** Set when the spec named a directory; `created` is what `store` answered. */
  packed?: PackedCode & { dir: string; created?: boolean };
}

/**
 * Packs the directory a spec's `code:` names (relative to `baseDir`) and hands the tar to `store`
 * (an upload, or a direct write to the store) before it is deleted. Text that is no valid YAML,
 * or whose `code` already names a digest, passes through for the spec checks to judge.
 */
export async function packSpecCode(
  text: string,
  baseDir: string,
  store?: (tarFile: string, packed: PackedCode) => Promise<{ digest: string; created: boolean }>,
): Promise<SpecWithCode> {
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { text };
  const code = doc.get('code');
  if (typeof code !== 'string' || CODE_DIGEST.test(code)) return { text };
  const dir = resolve(baseDir, code);
  const tmp = await mkdtemp(join(tmpdir(), 'sluice-pack-'));
  try {
    const tarFile = join(tmp, 'code.tar');
    const packed = await packCode(dir, tarFile);
    let created: boolean | undefined;
    if (store) {
      const stored = await store(tarFile, packed);
      if (stored.digest !== packed.digest)
        throw new Error(`the code package was stored as ${stored.digest}, but it packed to ${packed.digest}`);
      created = stored.created;
    }
    doc.set('code', packed.digest);
    return { text: doc.toString(), packed: { ...packed, dir, ...(created !== undefined ? { created } : {}) } };
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}
