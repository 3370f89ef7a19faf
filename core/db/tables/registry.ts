import type { ColumnType, Generated, Insertable, Selectable } from 'kysely';
import type { Json, JsonWithDefault, NullableTimestamp, Timestamp } from './common.js';

export type ModelStatus = 'active' | 'archived';
export type VersionStatus = 'registered' | 'archived';
/** bigint columns: written as numbers, read back as numbers (see connect.ts). */
type BigInt = ColumnType<number, number, number>;

export interface ModelsTable {
  name: string;
  description: string | null;
  tags: JsonWithDefault;
  status: Generated<ModelStatus>;
  /** The next version number to hand out; bumped under the row lock, so never a gap or a duplicate. */
  next_version: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface ModelVersionsTable {
  model: string;
  version: number;
  status: Generated<VersionStatus>;
  description: string | null;
  format: string;
  artifact_uri: string;
  artifact_sha256: string;
  artifact_size: BigInt;
  artifact_kind: 'file' | 'dir';
  metrics: JsonWithDefault;
  params: JsonWithDefault;
  signature: Json | null;
  tags: JsonWithDefault;
  run_id: string | null;
  step_id: string | null;
  output_name: string | null;
  image: string | null;
  idempotency_key: string | null;
  created_by: string | null;
  created_at: Timestamp;
  archived_at: NullableTimestamp;
}
/** One row per metric of a version, so "accuracy > 0.9" is an index range scan. */
export interface ModelVersionMetricsTable {
  model: string;
  version: number;
  name: string;
  value: number;
}
export interface ModelAliasesTable {
  model: string;
  alias: string;
  version: number;
  updated_by: string | null;
  updated_at: Timestamp;
}
export interface ModelVersionDatasetsTable {
  model: string;
  version: number;
  dataset: string;
  dataset_version: number;
}
export interface DatasetsTable {
  name: string;
  description: string | null;
  tags: JsonWithDefault;
  next_version: Generated<number>;
  created_by: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface DatasetVersionsTable {
  dataset: string;
  version: number;
  description: string | null;
  format: string;
  artifact_uri: string;
  digest: string;
  size: BigInt;
  artifact_kind: 'file' | 'dir';
  row_count: ColumnType<number | null, number | null | undefined, number | null>;
  schema: Json | null;
  stats: Json | null;
  source_uri: string | null;
  tags: JsonWithDefault;
  run_id: string | null;
  step_id: string | null;
  output_name: string | null;
  idempotency_key: string | null;
  created_by: string | null;
  created_at: Timestamp;
}
export type ResolvedInputType = 'dataset_version' | 'model_version';
/** What each step consumed through a URI input (recorded by executeStep): the lineage "consumed_by" edges. */
export interface RunInputsTable {
  run_id: string;
  step_id: string;
  input_name: string;
  uri: string;
  sha256: string;
  resolved_type: ResolvedInputType | null;
  resolved_name: string | null;
  resolved_version: number | null;
  created_at: Timestamp;
}

export type ModelRow = Selectable<ModelsTable>;
export type ModelVersionRow = Selectable<ModelVersionsTable>;
export type NewModelVersion = Insertable<ModelVersionsTable>;
export type ModelAliasRow = Selectable<ModelAliasesTable>;
export type DatasetRow = Selectable<DatasetsTable>;
export type DatasetVersionRow = Selectable<DatasetVersionsTable>;
export type NewDatasetVersion = Insertable<DatasetVersionsTable>;
export type RunInputRow = Selectable<RunInputsTable>;
