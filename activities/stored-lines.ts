import { createInterface } from 'node:readline';
import type { LogLine, LogStore } from '../core/logs/index.js';
import type { StoredLines } from './executors/types.js';

const HEADER = /^\[sluice\] attempt (\d+) of step /;

/** The line run-step writes first in every attempt; it tells the attempts apart in the stored log. */
export function attemptHeader(attempt: number, stepId: string, executor: string, image: string): string {
  return `[sluice] attempt ${attempt} of step ${stepId} on ${executor} (${image})`;
}

/**
 * How many lines of the container that attempt `createdBy` started the step log holds: every
 * line after that attempt's header except later attempts' headers. A re-attached worker emits
 * only the container's lines after these, so the log reads as one run, not a replay.
 */
export async function countStoredLines(
  logs: LogStore,
  runId: string,
  stepId: string,
  createdBy: number,
): Promise<StoredLines> {
  const counts: StoredLines = { stdout: 0, stderr: 0 };
  if (!(await logs.exists(runId, stepId))) return counts;
  let counting = false;
  for await (const text of createInterface({ input: logs.read(runId, stepId), crlfDelay: Infinity })) {
    let entry: LogLine;
    try {
      entry = JSON.parse(text) as LogLine;
    } catch {
      continue; // a line torn by a crash mid-append never reached a reader either
    }
    const header = entry.stream === 'stderr' ? HEADER.exec(entry.line) : null;
    if (header) {
      if (Number(header[1]) === createdBy) counting = true;
      continue;
    }
    if (counting) counts[entry.stream]++;
  }
  return counts;
}
