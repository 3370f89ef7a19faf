import { randomUUID } from 'node:crypto';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { findCodePackage } from '../core/code/packages.js';
import type { ActivityDeps } from './deps.js';
import { ExecutorError } from './executors/types.js';

/** Extractions in flight in this worker, by digest: concurrent steps of a run share one. */
const extracting = new Map<string, Promise<string>>();

/**
 * The code package `digest` (`sha256:<hex>`) extracted under `<workRoot>/.code/<hex>`, once per
 * digest and worker disk. It is unpacked (sha256 verified) into a temporary directory and renamed
 * into place, so a step never sees a half-written package; a rename that loses to another worker's
 * is harmless, the content is the same.
 */
export async function codeDirFor(deps: Pick<ActivityDeps, 'db' | 'artifacts' | 'workRoot'>, digest: string) {
  const hex = digest.replace(/^sha256:/, '');
  const root = join(deps.workRoot, '.code');
  const dir = join(root, hex);
  if (await isDir(dir)) return dir;
  let job = extracting.get(hex);
  if (!job) {
    job = extract(deps, digest, root, dir).finally(() => extracting.delete(hex));
    extracting.set(hex, job);
  }
  return job;
}

async function extract(
  deps: Pick<ActivityDeps, 'db' | 'artifacts'>,
  digest: string,
  root: string,
  dir: string,
): Promise<string> {
  const row = await findCodePackage(deps.db, digest);
  if (!row) throw new ExecutorError('InvalidRequest', `code package ${digest} is not stored`);
  const tmp = join(root, `.extract-${randomUUID()}`);
  await mkdir(root, { recursive: true });
  try {
    await deps.artifacts.fetchTo({ uri: row.uri, sha256: digest.replace(/^sha256:/, ''), kind: 'dir' }, tmp);
    try {
      await rename(tmp, dir);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOTEMPTY' && code !== 'EEXIST') throw err;
    }
    return dir;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

async function isDir(p: string): Promise<boolean> {
  return stat(p).then(
    (s) => s.isDirectory(),
    () => false,
  );
}
