import { createHash } from 'node:crypto';

export const LABELS = {
  run: 'sluice.run',
  step: 'sluice.step',
  attempt: 'sluice.attempt',
  managed: 'sluice.managed',
} as const;

const MAX_NAME = 200;

/**
 * `sluice-<runId>-<stepId>`, made docker-valid. The name is the lock that stops two workers
 * from starting the same step twice, so it must be injective: whenever sanitising changed
 * something, or the ids contain "-" (run "a-b"/step "c" vs run "a"/step "b-c"), a short hash of
 * the exact ids is appended; names over 200 characters are cut and hashed.
 */
export function containerName(runId: string, stepId: string): string {
  const raw = `sluice-${runId}-${stepId}`;
  const clean = raw.replace(/[^a-zA-Z0-9_.-]/g, '_');
  const ambiguous = clean !== raw || runId.includes('-') || stepId.includes('-');
  if (!ambiguous && clean.length <= MAX_NAME) return clean;
  const hash = createHash('sha256')
    .update(JSON.stringify([runId, stepId]))
    .digest('hex')
    .slice(0, 12);
  return `${clean.slice(0, MAX_NAME - hash.length - 1)}-${hash}`;
}

export function stepLabels(runId: string, stepId: string, attempt: number): Record<string, string> {
  return {
    [LABELS.run]: runId,
    [LABELS.step]: stepId,
    [LABELS.attempt]: String(attempt),
    [LABELS.managed]: 'true',
  };
}

/** `listContainers` filter selecting the containers of one (run, step). */
export function stepFilter(runId: string, stepId: string): { label: string[] } {
  return { label: [`${LABELS.run}=${runId}`, `${LABELS.step}=${stepId}`, `${LABELS.managed}=true`] };
}
