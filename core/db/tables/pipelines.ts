import type { Insertable, Selectable, Updateable } from 'kysely';
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
export type PipelineRow = Selectable<PipelinesTable>;
export type NewPipeline = Insertable<PipelinesTable>;
export type PipelineUpdate = Updateable<PipelinesTable>;
export type PipelineVersionRow = Selectable<PipelineVersionsTable>;
export type NewPipelineVersion = Insertable<PipelineVersionsTable>;
