// The embedded stack: Temporal, the database, a worker and the API in one process (`npm start`).
import { startStack } from './stack.js';
import { runEntryPoint } from './startup.js';

void runEntryPoint({ name: 'sluice', role: 'the embedded stack', runsWorkers: true }, async (config, say) => {
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
});
