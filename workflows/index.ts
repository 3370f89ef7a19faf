// The worker's workflows entry point (bundled).
export { runPipeline, statusQuery } from './runPipeline.js';
