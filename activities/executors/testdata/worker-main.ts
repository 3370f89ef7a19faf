/**
 * A worker process for the re-attach tests: runs one step and prints its logs; the tests
 * SIGKILL it mid-step to leave a container (or process group) behind, like a crashed worker.
 * Usage: node --import tsx worker-main.ts docker|process '<StepRunRequest JSON without callbacks>'
 */
import { createExecutor } from '../index.js';
import type { StepRunRequest } from '../types.js';

const [kind, json] = process.argv.slice(2);
if ((kind !== 'docker' && kind !== 'process') || !json) throw new Error('usage: worker-main.ts docker|process <json>');
const req = JSON.parse(json) as Omit<StepRunRequest, 'onLog' | 'signal'>;
const result = await createExecutor(kind).run({
  ...req,
  onLog: (stream, line) => console.log(`${stream}: ${line}`),
  signal: new AbortController().signal,
});
console.log(JSON.stringify(result));
