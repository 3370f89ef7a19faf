import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

function stamp(d: Date): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

/** A readable run id: `<pipeline>-<yyyymmddhhmmss>-<4 random>` (UTC). */
export function newRunId(pipeline: string, now = new Date()): string {
  const rnd = [...randomBytes(4)].map((b) => ALPHABET[b % ALPHABET.length]).join('');
  return `${pipeline}-${stamp(now)}-${rnd}`;
}

/**
 * The run id for an idempotency key: derived, not stored-then-looked-up, so a retried POST maps
 * to the same workflow id even when the first attempt died between Temporal and the database.
 */
export function idempotentRunId(pipeline: string, key: string): string {
  const h = createHash('sha256').update(`${pipeline}\0${key}`).digest('hex').slice(0, 16);
  return `${pipeline}-k${h}`;
}

export const workflowIdFor = (runId: string): string => `run-${runId}`;
