import { z } from 'zod';
import { MAX_DEPTH } from '../../core/registry/lineage/walk.js';
import { datasetVersionSchema, versionSchema } from './registry.js';

export const walkQuery = z.strictObject({
  direction: z.enum(['upstream', 'downstream', 'both']).default('both'),
  depth: z.coerce.number().int().min(1).max(MAX_DEPTH).default(3).describe('hops from the root'),
});

export const lineageGraph = z
  .object({
    root: z.string(),
    direction: z.enum(['upstream', 'downstream', 'both']),
    depth: z.number().int(),
    nodes: z.array(
      z.object({
        id: z.string(),
        type: z.enum(['dataset_version', 'run', 'artifact', 'model_version']),
        label: z.string(),
        attrs: z.record(z.string(), z.unknown()),
      }),
    ),
    edges: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        kind: z.enum(['consumed_by', 'produced', 'registered_as', 'trained_on']),
        via: z.string().optional().describe('step/output of a produced edge, step/input of a consumed_by edge'),
      }),
    ),
    truncated: z.boolean(),
  })
  .describe('dataset version → run → artifact → model version, and onwards; ids are "<type>:<key>"');

export const GRAPH_DOC =
  'Edges: dataset_version -consumed_by-> run -produced-> artifact -registered_as-> model_version; ' +
  'dataset_version -trained_on-> model_version; artifact -registered_as-> dataset_version.';

export const resolved = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('model_version'), modelVersion: versionSchema }),
  z.object({ kind: z.literal('dataset_version'), datasetVersion: datasetVersionSchema }),
]);
