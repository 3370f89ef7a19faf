// The embedded stack: Temporal, the database, a worker and the API in one process (`npm start`).
import { applyBundledExamples } from './examples.js';
import { startStack } from './stack.js';
import { onStopSignals } from './signals.js';
import { runEntryPoint } from './startup.js';

void runEntryPoint({ name: 'sluice', role: 'the embedded stack', runsWorkers: true }, async (config, say) => {
  const t0 = Date.now();
  say(`starting the embedded stack (data dir ${config.dataDir})`);
  const stack = await startStack(config, say);
  say(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  say(`  API          ${stack.apiUrl}  (docs ${stack.apiUrl}/docs, health ${stack.apiUrl}/healthz)`);
  if (stack.temporalUiUrl) say(`  Temporal UI  ${stack.temporalUiUrl}`);
  say(`  Temporal     ${stack.temporalAddress}, task queue ${config.temporal.taskQueue}`);
  // Signals first: the API already answers, so a stop may arrive while the examples are applied.
  onStopSignals({ say, stop: () => stack.stop(), forceExit: () => stack.kill() });
  const examples = await applyBundledExamples(stack, say);
  if (examples.applied.length) say(`applied the bundled example pipelines: ${examples.applied.join(', ')}`);
  if (examples.showcase) say(`run the example:  npx sluice run ${examples.showcase} --follow`);
  say('press Ctrl-C to stop');
});
