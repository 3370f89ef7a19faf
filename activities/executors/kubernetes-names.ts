import { createHash } from 'node:crypto';

export const K8S_LABELS = {
  run: 'sluice.dev/run',
  step: 'sluice.dev/step',
  attempt: 'sluice.dev/attempt',
  managedBy: 'app.kubernetes.io/managed-by',
} as const;
/** Label values are limited (63 chars, a small alphabet); the exact ids ride along as annotations. */
export const K8S_ANNOTATIONS = {
  run: 'sluice.dev/run-id',
  step: 'sluice.dev/step-id',
  /** Store mode: the key the pod uploads its outputs tar to (a re-attaching worker reads it here). */
  outputsKey: 'sluice.dev/outputs-key',
} as const;

/** Object names that end up in a label value (the Job's name is its pods' job-name label) stay within 63. */
const MAX_NAME = 63;
const HASH_CHARS = 10;

const hashOf = (...parts: string[]) =>
  createHash('sha256').update(JSON.stringify(parts)).digest('hex').slice(0, HASH_CHARS);

const slug = (s: string) =>
  s
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/-+/g, '-')
    .replace(/^-|-$/g, '');

/**
 * `sluice-<run>-<step>-<hash>`: a DNS-1123 label, the same for every attempt of a step, so a retried
 * activity finds the Job it created. The readable part is lowercased and cut to fit; the hash of the
 * exact ids always follows, so two steps never share a name whatever sanitising did to them.
 */
export function jobName(runId: string, stepId: string): string {
  const hash = hashOf(runId, stepId);
  const room = MAX_NAME - 'sluice-'.length - hash.length - 2;
  const step = slug(stepId).slice(0, Math.max(8, room - slug(runId).length));
  const run = slug(runId).slice(0, room - step.length);
  const readable = [run, step].filter(Boolean).join('-');
  return `sluice-${readable ? `${readable}-` : ''}${hash}`.replace(/-+/g, '-');
}

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

/** The id itself when it is a valid label value, else a readable prefix and a hash of it. */
export function labelValue(id: string): string {
  if (id.length <= MAX_NAME && LABEL_VALUE.test(id)) return id;
  const hash = hashOf(id);
  const prefix = id
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .slice(0, MAX_NAME - HASH_CHARS - 1)
    .replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
  return prefix ? `${prefix}-${hash}` : hash;
}

export function jobLabels(runId: string, stepId: string, attempt: number): Record<string, string> {
  return {
    [K8S_LABELS.run]: labelValue(runId),
    [K8S_LABELS.step]: labelValue(stepId),
    [K8S_LABELS.attempt]: String(attempt),
    [K8S_LABELS.managedBy]: 'sluice',
  };
}
