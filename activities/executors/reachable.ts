import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { StepUser } from './step-env.js';

/**
 * The first directory on the way to `dir` that `user` may not enter (no search permission for
 * it as owner, group or other), or undefined. A root worker's data dir under /root (0700) is the
 * usual case: the step would otherwise fail with a bare EACCES from spawn.
 */
export async function unreachableFor(dir: string, user: StepUser): Promise<string | undefined> {
  const parts = path.resolve(dir).split(path.sep).filter(Boolean);
  let at: string = path.sep;
  // The last part (the work dir itself) is handed to the user; only its ancestors must be searchable.
  for (const part of parts.slice(0, -1)) {
    at = path.join(at, part);
    const s = await stat(at);
    const bit = s.uid === user.uid ? 0o100 : s.gid === user.gid ? 0o010 : 0o001;
    if (!(s.mode & bit)) return at;
  }
  return undefined;
}
