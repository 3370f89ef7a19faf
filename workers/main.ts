import { Runtime, DefaultLogger } from '@temporalio/worker';
import { loadConfig, ConfigError } from '../core/config.js';
import { startStack } from './stack.js';

const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const say = (m: string) => process.stdout.write(`${bold('[sluice]')} ${m}\n`);

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  Runtime.install({ logger: new DefaultLogger(config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'WARN') });
  const t0 = Date.now();
  say(`starting the embedded stack (data dir ${config.dataDir})`);
  const stack = await startStack(config, say);
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  say(`  API          ${stack.apiUrl}  (docs ${stack.apiUrl}/docs, health ${stack.apiUrl}/healthz)`);
  if (stack.temporalUiUrl) say(`  Temporal UI  ${stack.temporalUiUrl}`);
  say(`  Temporal     ${stack.temporalAddress}, task queue ${config.temporal.taskQueue}`);
  say('press Ctrl-C to stop');

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      say(`${signal} again: exiting now`);
      process.exit(130);
    }
    stopping = true;
    say(`${signal}: stopping (API, worker, database, Temporal) …`);
    await stack.stop();
    say('stopped cleanly');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`[sluice] failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
