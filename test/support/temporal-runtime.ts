import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';

/** A logger for the workflow bundler, which reports every module it packs. */
export const quietSdkLogger = { log() {}, info() {}, warn() {}, error() {}, debug() {}, trace() {} };

let installed = false;

/**
 * Installs the Temporal SDK runtime with a quiet logger, once per test process. Failing steps are
 * expected in tests; the SDK's warnings about them would drown the output. The runtime can be
 * installed only before its first use, so the first caller's level wins.
 */
export function installQuietTemporalRuntime(level: LogLevel = 'ERROR'): void {
  if (installed) return;
  installed = true;
  try {
    Runtime.install({ logger: new DefaultLogger(level) });
  } catch {
    // Another module of this test process already installed it (or used the default runtime).
  }
}
