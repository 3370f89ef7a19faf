import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { VerifyingStream } from './digest.js';
import type { ArtifactRef } from './store.js';
import { unpackTo } from './tarball.js';

/**
 * Writes the stored bytes of `ref` to `dest`, verifying the sha256 on the way. Everything is
 * written to hidden temporaries beside `dest` and renamed into place only once verified, so an
 * error never leaves a partial `dest` behind. A 'dir' artifact is unpacked into `dest`
 * (created if missing; existing entries with the same names are replaced).
 */
export async function materialize(
  body: Readable,
  ref: Pick<ArtifactRef, 'uri' | 'sha256' | 'kind'>,
  dest: string,
): Promise<void> {
  const target = resolve(dest);
  const parent = dirname(target);
  const tmp = join(parent, `.${basename(target)}.sluice-${randomUUID()}`);
  try {
    await mkdir(parent, { recursive: true });
    await pipeline(body, new VerifyingStream(ref.sha256, ref.uri), createWriteStream(`${tmp}.part`, { flags: 'wx' }));
    if (ref.kind === 'file') {
      await rename(`${tmp}.part`, target);
      return;
    }
    await mkdir(`${tmp}.d`);
    await unpackTo(`${tmp}.part`, `${tmp}.d`);
    await moveDirInto(`${tmp}.d`, target);
  } catch (err) {
    body.destroy();
    throw err;
  } finally {
    await rm(`${tmp}.part`, { force: true });
    await rm(`${tmp}.d`, { recursive: true, force: true });
  }
}

async function moveDirInto(src: string, dest: string): Promise<void> {
  try {
    // Succeeds when dest is missing or an empty directory: the common case, one atomic step.
    await rename(src, dest);
    return;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOTDIR')
      throw new Error(`cannot unpack a directory artifact into ${dest}: it is not a directory`, { cause: err });
    if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
  }
  for (const name of await readdir(src)) {
    await rm(join(dest, name), { recursive: true, force: true });
    await rename(join(src, name), join(dest, name));
  }
}
