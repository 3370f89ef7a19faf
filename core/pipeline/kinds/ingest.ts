/** The `ingest` step kind: data from a file, S3, HTTP or another step's output into a named dataset version. */
import { z } from 'zod';
import { MODEL_NAME, MODEL_NAME_HINT } from '../../registry/names.js';
import { isFileName, STEP_ID } from '../inputs.js';
import type { InputSource, PlanStepBase } from '../plan.js';
import { stepBase } from './base.js';

/** Where ingested bytes come from; a step output is also compiled into the plan's `inputs.source`. */
export type IngestSource =
  | { type: 'step'; step: string; output: string }
  | { type: 'file'; path: string }
  | { type: 's3'; bucket: string; key: string }
  | { type: 'http'; url: string };

export const INGEST_SOURCE_HINT =
  'steps.<id>.outputs.<output>, file:/abs/path (or file:///abs/path), s3://bucket/key or http(s)://host/path';
/** The one output of an ingest step: the stored data file. */
export const INGEST_OUTPUTS: readonly string[] = ['dataset'];

/** Returns the parsed source, or an error message. */
export function parseIngestSource(src: string): IngestSource | string {
  const step = /^steps\.([^.]+)\.outputs\.(.+)$/.exec(src);
  if (step && STEP_ID.test(step[1]!) && isFileName(step[2]!)) return { type: 'step', step: step[1]!, output: step[2]! };
  const file = /^file:(\/\/)?(\/.*)$/.exec(src);
  if (file) {
    let path: string;
    try {
      path = decodeURIComponent(file[2]!);
    } catch {
      return `source ${JSON.stringify(src)} is not a valid file URI`;
    }
    const parts = path.split('/');
    if (parts.includes('..')) return `source ${JSON.stringify(src)}: '..' is not allowed in a file path`;
    return { type: 'file', path: '/' + parts.filter((p) => p !== '' && p !== '.').join('/') };
  }
  const s3 = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(\S+)$/.exec(src);
  if (s3) return { type: 's3', bucket: s3[1]!, key: s3[2]! };
  if (/^https?:\/\//.test(src)) {
    try {
      const url = new URL(src);
      if (url.username || url.password) return `source ${JSON.stringify(src)}: credentials in a URL are not allowed`;
      return { type: 'http', url: url.href };
    } catch {
      return `source ${JSON.stringify(src)} is not a valid URL`;
    }
  }
  return `invalid source ${JSON.stringify(src)}: expected ${INGEST_SOURCE_HINT}`;
}

const source = z.string().superRefine((v, ctx) => {
  const parsed = parseIngestSource(v);
  if (typeof parsed === 'string') ctx.addIssue({ code: 'custom', message: parsed });
});

export const EXPECTED_TYPES = ['integer', 'number', 'string', 'boolean'] as const;
const expectedColumn = z.strictObject({
  name: z.string().min(1),
  type: z.enum(EXPECTED_TYPES),
  nullable: z.boolean().default(true),
  min: z.number().optional(),
  max: z.number().optional(),
});
const expectedSchema = z.strictObject({
  columns: z.array(expectedColumn).min(1, 'an expected schema needs at least one column'),
  /** Columns the schema does not name are accepted (true) or fail the step (false). */
  allowExtra: z.boolean().default(true),
});
export type ExpectedSchema = z.infer<typeof expectedSchema>;
export type ExpectedColumn = ExpectedSchema['columns'][number];

export const ingestStepSchema = z.strictObject({
  ...stepBase,
  kind: z.literal('ingest'),
  source,
  dataset: z.string().regex(MODEL_NAME, `must be ${MODEL_NAME_HINT}`),
  description: z.string().max(1000).optional(),
  schema: expectedSchema.optional(),
});
export type IngestStepSpec = z.infer<typeof ingestStepSchema>;

export interface IngestPlanStep extends PlanStepBase {
  kind: 'ingest';
  /** As written in the spec (shown in the step's log and kept as the dataset version's source URI). */
  sourceText: string;
  source: IngestSource;
  dataset: string;
  description?: string;
  schema?: ExpectedSchema;
}

/** The step a step-output source reads from: a dependency like any input's producer. */
export function ingestDependencies(step: IngestStepSpec): string[] {
  const src = parseIngestSource(step.source);
  return typeof src !== 'string' && src.type === 'step' ? [src.step] : [];
}

/** Expects a validated spec. The common fields come from compilePlan; an ingest reads no `inputs` of its own. */
export function ingestFields(
  step: IngestStepSpec,
): Omit<IngestPlanStep, keyof Omit<PlanStepBase, 'inputs' | 'outputs'>> {
  const src = parseIngestSource(step.source);
  if (typeof src === 'string') throw new Error(src);
  return {
    kind: step.kind,
    inputs: src.type === 'step' ? ({ source: src } satisfies Record<string, InputSource>) : {},
    outputs: [...INGEST_OUTPUTS],
    sourceText: step.source,
    source: src,
    dataset: step.dataset,
    ...(step.description !== undefined ? { description: step.description } : {}),
    ...(step.schema ? { schema: step.schema } : {}),
  };
}

type Report = (path: PropertyKey[], message: string) => void;

/** Cross-field checks: the source step exists and declares the output; ranges and column names make sense. */
export function checkIngestStep(
  step: IngestStepSpec,
  i: number,
  outputsOf: (id: string) => readonly string[] | undefined,
  report: Report,
): void {
  if (step.inputs !== undefined)
    report(['steps', i, 'inputs'], 'an ingest step reads its data from `source`, not `inputs`');
  if (step.outputs !== undefined)
    report(['steps', i, 'outputs'], `an ingest step has one output, 'dataset'; do not declare outputs`);
  const src = parseIngestSource(step.source);
  if (typeof src !== 'string' && src.type === 'step') {
    const outputs = outputsOf(src.step);
    if (src.step === step.id) report(['steps', i, 'source'], `step '${step.id}' cannot ingest its own output`);
    else if (!outputs) report(['steps', i, 'source'], `unknown step '${src.step}'`);
    else if (!outputs.includes(src.output)) {
      report(
        ['steps', i, 'source'],
        `step '${src.step}' has no output '${src.output}'; declared: ${outputs.join(', ') || '(none)'}`,
      );
    }
  }
  const seen = new Set<string>();
  (step.schema?.columns ?? []).forEach((c, k) => {
    const path = ['steps', i, 'schema', 'columns', k];
    if (seen.has(c.name)) report([...path, 'name'], `duplicate column '${c.name}'`);
    seen.add(c.name);
    const numeric = c.type === 'integer' || c.type === 'number';
    if (!numeric && c.min !== undefined)
      report([...path, 'min'], `min applies to integer and number columns, not ${c.type}`);
    if (!numeric && c.max !== undefined)
      report([...path, 'max'], `max applies to integer and number columns, not ${c.type}`);
    if (c.min !== undefined && c.max !== undefined && c.min > c.max) {
      report([...path, 'min'], `min (${c.min}) is greater than max (${c.max})`);
    }
  });
}
