import type { ApiKeysTable, EventsTable } from './tables/access.js';
import type { CodePackagesTable, PipelinesTable, PipelineVersionsTable } from './tables/pipelines.js';
import type { ArtifactsTable, RunStepsTable, RunsTable, StepCacheTable } from './tables/runs.js';
import type {
  DatasetsTable,
  DatasetVersionsTable,
  ModelAliasesTable,
  ModelsTable,
  ModelVersionDatasetsTable,
  ModelVersionMetricsTable,
  ModelVersionsTable,
  RunInputsTable,
} from './tables/registry.js';
import type { GatewayAccuracyTable, GatewayRequestsTable } from './tables/gateway.js';
import type { DeploymentRoutesTable, GatewayStatsTable } from './tables/serving.js';
import type { DeploymentRolloutsTable, DeploymentsTable } from './tables/deployments.js';
import type { DriftResultsTable, DriftRetrainsTable, DriftWindowsTable } from './tables/drift.js';

/** The whole metadata schema, as kysely sees it. Only types live here. */
export interface Database {
  pipelines: PipelinesTable;
  pipeline_versions: PipelineVersionsTable;
  code_packages: CodePackagesTable;
  runs: RunsTable;
  run_steps: RunStepsTable;
  artifacts: ArtifactsTable;
  step_cache: StepCacheTable;
  api_keys: ApiKeysTable;
  events: EventsTable;
  models: ModelsTable;
  model_versions: ModelVersionsTable;
  model_version_metrics: ModelVersionMetricsTable;
  model_aliases: ModelAliasesTable;
  model_version_datasets: ModelVersionDatasetsTable;
  datasets: DatasetsTable;
  dataset_versions: DatasetVersionsTable;
  run_inputs: RunInputsTable;
  deployment_routes: DeploymentRoutesTable;
  gateway_stats: GatewayStatsTable;
  deployments: DeploymentsTable;
  deployment_rollouts: DeploymentRolloutsTable;
  gateway_accuracy: GatewayAccuracyTable;
  gateway_requests: GatewayRequestsTable;
  drift_windows: DriftWindowsTable;
  drift_results: DriftResultsTable;
  drift_retrains: DriftRetrainsTable;
}
