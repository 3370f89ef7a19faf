// The API's shapes as the CLI reads them: the same definitions the API answers with.
export type { RunView, StepView } from '../core/runs/views.js';
export type { ScheduleView } from '../core/schedules/view.js';
export { RUN_STATUSES, isActiveRun } from '../core/runs/status.js';
