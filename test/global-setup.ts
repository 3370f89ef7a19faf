import type { TestProject } from 'vitest/node';
import { startDevServer } from '../core/temporal/dev-server.js';
import { resolveTemporalBinary } from '../core/temporal/binary.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporalAddress: string;
    temporalBinary: string;
  }
}

/**
 * One real Temporal dev server (in memory, headless, our search attributes) for the whole
 * run; test files isolate themselves with their own task queues and workflow ids.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const binary = await resolveTemporalBinary({
    explicit: process.env.SLUICE_TEMPORAL_BIN,
    progress: (m) => process.stderr.write(`[global-setup] ${m}\n`),
  });
  const server = await startDevServer({ binary, headless: true, detached: false });
  project.provide('temporalAddress', server.address);
  project.provide('temporalBinary', binary);
  return () => server.stop();
}
