import { z } from 'zod';

export {
  appliedPipelineSchema as applied,
  pipelineCheckSchema as validated,
  pipelineSummarySchema as pipelineSummary,
  pipelineVersionInfoSchema as versionInfo,
  pipelineVersionSchema as versionDoc,
} from '../../core/pipeline/views.js';

/** Content types of a raw YAML spec body. */
export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export const specBody = z.strictObject({
  spec: z
    .union([z.string(), z.record(z.string(), z.unknown())])
    .describe(
      'The pipeline spec as an object, or as YAML/JSON text. A raw YAML body (Content-Type: application/yaml) works too.',
    ),
});
