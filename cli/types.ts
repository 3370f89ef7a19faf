// The API's shapes as the CLI reads them: the same definitions the API answers with.
export type { RunView, StepView } from '../core/runs/views.js';
export type { ScheduleView } from '../core/schedules/view.js';
export { RUN_OUTCOMES, RUN_STATUSES, isActiveRun } from '../core/runs/status.js';
export type { Model } from '../core/registry/models/models.js';
export type { ModelVersion } from '../core/registry/models/versions-read.js';
export type { AliasMove } from '../core/registry/models/aliases.js';
export type { Dataset } from '../core/registry/datasets/datasets.js';
export type { DatasetVersion } from '../core/registry/datasets/versions.js';
export type { DatasetStats } from '../core/registry/profiling/csv-stats.js';
export type { ColumnStats } from '../core/registry/profiling/column-stats.js';
export type { LineageGraph } from '../core/registry/lineage/walk.js';
export type { LineageNode } from '../core/registry/lineage/nodes.js';

/** A page of a list route. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
