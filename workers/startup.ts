import type { LogLevel } from '@temporalio/worker';
import { ConfigError, loadConfig, type Config } from '../core/config.js';

export type Say = (message: string) => void;

export interface EntryPoint {
  /** Prefix of every line it prints: `[name] …`. */
  name: string;
  /** What runs, as messages name it: "a standalone worker". */
  role: string;
  /**
   * A split process (worker or API on its own) shares Temporal and the database with the others,
   * so both must be given: PGlite and a dev server belong to one process.
   */
  split?: boolean;
  /** It runs Temporal workers, whose SDK runtime logs at a level derived from SLUICE_LOG_LEVEL. */
  runsWorkers?: boolean;
}

/** The SDK's own log level: its debug output only when asked for, otherwise warnings and worse. */
export function sdkLogLevel(level: Config['logLevel']): LogLevel {
  return level === 'debug' || level === 'trace' ? 'DEBUG' : 'WARN';
}

/**
 * The worker's Prometheus endpoint (SLUICE_WORKER_METRICS_ADDRESS): the Temporal SDK's own series — queue
 * lag as `temporal_workflow_task_schedule_to_start_latency_seconds` and
 * `temporal_activity_schedule_to_start_latency_seconds`, task and poll counts, slots — and the step metrics
 * Sluice records through the same meter (activities/step-metrics.ts). Seconds and `_total` suffixes, as
 * Prometheus names them.
 */
export function workerTelemetry(bindAddress: string) {
  return {
    metrics: {
      prometheus: { bindAddress, countersTotalSuffix: true, unitSuffix: true, useSecondsForDurations: true },
    },
  };
}

function requireSharedServices(config: Readonly<Config>, role: string): void {
  if (!config.temporal.address)
    throw new ConfigError(`SLUICE_TEMPORAL_ADDRESS is required for ${role} (host:port of Temporal)`);
  if (!config.databaseUrl) throw new ConfigError(`DATABASE_URL is required for ${role} (postgres://…)`);
}

/**
 * Runs an entry point's `main` with the configuration every entry point reads the same way: a
 * configuration error exits 2 with a message naming the variable; any other failure exits 1.
 * Settles once `main` returned or the process was told to exit.
 */
export function runEntryPoint(
  entry: EntryPoint,
  main: (config: Readonly<Config>, say: Say) => Promise<void>,
  env: Record<string, string | undefined> = process.env,
): Promise<void> {
  const prefix = process.stdout.isTTY ? `\x1b[1m[${entry.name}]\x1b[0m` : `[${entry.name}]`;
  const say: Say = (m) => process.stdout.write(`${prefix} ${m}\n`);
  const start = async () => {
    const config = loadConfig(env);
    if (entry.split) requireSharedServices(config, entry.role);
    if (entry.runsWorkers) {
      // Imported here: the API on its own never loads the worker's native runtime.
      const { DefaultLogger, Runtime } = await import('@temporalio/worker');
      Runtime.install({
        logger: new DefaultLogger(sdkLogLevel(config.logLevel)),
        ...(config.workerMetricsAddress ? { telemetryOptions: workerTelemetry(config.workerMetricsAddress) } : {}),
      });
    }
    await main(config, say);
  };
  return start().catch((err: unknown) => {
    if (err instanceof ConfigError) {
      process.stderr.write(`[${entry.name}] ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`[${entry.name}] ${entry.role} failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
