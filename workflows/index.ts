// The worker's workflows entry point (bundled).
export { runPipeline, statusQuery } from './runPipeline.js';
export { deploymentWorkflow, deployUpdate, rollbackUpdate, deploymentStatusQuery } from './deployment.js';
export { driftMonitorWorkflow, configureDriftSignal, driftStatusQuery } from './drift-monitor.js';
