import type { Migration } from 'kysely/migration';
import * as m0001 from './2026-11-26T00-00_pipelines_runs.js';
import * as registry from './2026-11-26T02-00_registry.js';
import * as keyUsage from './2026-11-30T00-00_api_key_usage.js';
import * as runOutcomes from './2026-12-01T00-00_run_outcomes.js';
import * as codePackages from './2026-12-01T00-30_code_packages.js';
import * as runsNotify from './2026-12-01T00-40_runs_change_notify.js';
import * as serving from './2026-12-01T10-00_serving.js';
import * as deployments from './2026-12-01T10-10_deployments.js';
import * as gateway from './2026-12-01T10-30_gateway.js';
import * as drift from './2026-12-01T10-20_drift.js';

/** Every migration, by its frozen name. Append; never rename or edit an entry. */
export const migrations: Record<string, Migration> = {
  '2026-11-26T00-00_pipelines_runs': m0001,
  '2026-11-26T02-00_registry': registry,
  '2026-11-30T00-00_api_key_usage': keyUsage,
  '2026-12-01T00-00_run_outcomes': runOutcomes,
  '2026-12-01T00-30_code_packages': codePackages,
  '2026-12-01T00-40_runs_change_notify': runsNotify,
  '2026-12-01T10-00_serving': serving,
  '2026-12-01T10-10_deployments': deployments,
  '2026-12-01T10-20_drift': drift,
  '2026-12-01T10-30_gateway': gateway,
};
