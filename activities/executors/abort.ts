import type { StepRunRequest } from './types.js';

/** Rejection of run() when req.signal aborts; `cause` carries the signal's reason. */
export class StepAbortedError extends Error {
  constructor(req: Pick<StepRunRequest, 'runId' | 'stepId' | 'signal'>) {
    super(`step ${req.stepId} of run ${req.runId} was aborted`, { cause: req.signal.reason });
    this.name = 'AbortError';
  }
}

export function throwIfAborted(req: Pick<StepRunRequest, 'runId' | 'stepId' | 'signal'>): void {
  if (req.signal.aborted) throw new StepAbortedError(req);
}
