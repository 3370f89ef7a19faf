import type { Config } from '../config.js';
import type { Tracing } from './tracing.js';

export type { Tracing } from './tracing.js';
export type { TracingConfig } from './config.js';

/**
 * Starts tracing when an OTLP endpoint is configured, else returns undefined without loading any
 * OpenTelemetry SDK code: a process without an endpoint registers no provider and pays nothing.
 */
export async function openTracing(config: Readonly<Config>, defaultServiceName: string): Promise<Tracing | undefined> {
  if (!config.tracing) return undefined;
  const { startTracing } = await import('./tracing.js');
  return startTracing(config.tracing, defaultServiceName);
}
