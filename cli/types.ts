/** The API's run shapes, as the CLI reads them. */
export interface StepView {
  id: string;
  status: string;
  attempt: number;
  durationMs: number | null;
  cacheHit: boolean;
  cachedFromRun: string | null;
  error: string | null;
  metrics: Record<string, number>;
}

export interface RunView {
  id: string;
  pipeline: string;
  version: number;
  status: string;
  trigger: string;
  error: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  retryOf: string | null;
  steps: StepView[];
}

export const ACTIVE = ['pending', 'running'];
