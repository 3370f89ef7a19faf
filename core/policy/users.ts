import type { StepPolicy } from './schema.js';

/**
 * Who user code (steps and model servers) runs as. Containers: the policy's user unless it allows
 * root (then the image's own user). Local processes: the same drop, but only a root worker can
 * switch users; a worker that is not root runs them as itself, which is no more than it already
 * is. The embedded stack runs them as the person who started it (processAsWorker).
 */
export function stepUsers(policy: StepPolicy): {
  container: { uid: number; gid: number } | null;
  process: { uid: number; gid: number } | undefined;
} {
  const rootWorker = process.getuid?.() === 0;
  return {
    container: policy.allowRoot ? null : policy.user,
    process: rootWorker && !policy.allowRoot && !policy.processAsWorker ? policy.user : undefined,
  };
}
