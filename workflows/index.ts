// The worker's workflows entry point (bundled).
export { runPipeline, statusQuery } from './runPipeline.js';
export { driftMonitorWorkflow, configureDriftSignal, driftStatusQuery } from './drift-monitor.js';
