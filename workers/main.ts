// The embedded stack: Temporal, the database, a worker and the API in one process (`npm start`).
import { join } from 'node:path';
import { killRecordedDevServer } from '../core/temporal/dev-server.js';
import { applyBundledExamples } from './examples.js';
import { startStack, type Stack } from './stack.js';
import { onStopSignals } from './signals.js';
import { runEntryPoint } from './startup.js';

void runEntryPoint({ name: 'sluice', role: 'the embedded stack', runsWorkers: true }, async (config, say) => {
  const t0 = Date.now();
  say(`starting the embedded stack (data dir ${config.dataDir})`);
  // Signals first: a stop may arrive at any moment of a start-up that takes seconds (Ctrl-C, or a
  // supervisor that saw the API answer). A stop while starting stops what was started so far.
  const aborter = new AbortController();
  let stack: Stack | undefined;
  let applyingExamples: Promise<unknown> = Promise.resolve();
  const starting = startStack(config, say, aborter.signal).then((s) => (stack = s));
  onStopSignals({
    say,
    stop: async () => {
      aborter.abort();
      const started = await starting.catch(() => undefined);
      // The examples are written in a few database calls: let them finish rather than cut them off.
      await applyingExamples.catch(() => undefined);
      await started?.stop();
    },
    forceExit: () => (stack ? stack.kill() : killRecordedDevServer(join(config.dataDir, 'temporal.pid'))),
  });
  const started = await starting.catch((err: unknown) => {
    // Stopped while starting: the signal handler finishes the stop and exits.
    if (aborter.signal.aborted) return new Promise<never>(() => {});
    throw err;
  });
  if (aborter.signal.aborted) return;
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  say(`  API          ${started.apiUrl}  (docs ${started.apiUrl}/docs, health ${started.apiUrl}/healthz)`);
  if (started.temporalUiUrl) say(`  Temporal UI  ${started.temporalUiUrl}`);
  say(`  Temporal     ${started.temporalAddress}, task queue ${config.temporal.taskQueue}`);
  const applying = applyBundledExamples(started, say);
  applyingExamples = applying;
  const examples = await applying;
  if (aborter.signal.aborted) return;
  if (examples.applied.length) say(`applied the bundled example pipelines: ${examples.applied.join(', ')}`);
  if (examples.showcase) say(`run the example:  npx sluice run ${examples.showcase} --follow`);
  say('press Ctrl-C to stop');
});
