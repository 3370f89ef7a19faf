import type { ColumnType, Insertable, Selectable, Updateable } from 'kysely';
import type { Json, Timestamp } from './common.js';

export interface PipelinesTable {
  name: string;
  latest_version: number;
  description: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface PipelineVersionsTable {
  pipeline: string;
  version: number;
  digest: string;
  spec: Json;
  created_by: string | null;
  created_at: Timestamp;
}
/** A packed code directory (a tar in the artifact store), named by `sha256:<hex>`. */
export interface CodePackagesTable {
  digest: string;
  uri: string;
  // bigint, read back as a number (connect.ts).
  size: ColumnType<number, number, number>;
  files: number;
  created_by: string | null;
  created_at: Timestamp;
}
export type PipelineRow = Selectable<PipelinesTable>;
export type NewPipeline = Insertable<PipelinesTable>;
export type PipelineUpdate = Updateable<PipelinesTable>;
export type PipelineVersionRow = Selectable<PipelineVersionsTable>;
export type NewPipelineVersion = Insertable<PipelineVersionsTable>;
