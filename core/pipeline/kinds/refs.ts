/** References built-in kinds make to other steps outside `inputs`/`dependsOn`: edges of the DAG, checked by checks.ts. */
import { parseInputSource } from '../inputs.js';
import type { StepKind, StepSpec } from '../schema.js';

export interface KindRef {
  /** Where the reference is written, under the step. */
  path: PropertyKey[];
  step: string;
  /** For a `steps.<id>.outputs.<name>` reference: the output it names. */
  output?: string;
  /** Kinds the referenced step must be of (any when absent). */
  kinds?: StepKind[];
}

const metricKinds: StepKind[] = ['container', 'evaluate'];

export function outputRef(path: PropertyKey[], src: string | undefined): KindRef[] {
  if (src === undefined) return [];
  const ref = parseInputSource(src);
  return typeof ref !== 'string' && ref.type === 'step' ? [{ path, step: ref.step, output: ref.output }] : [];
}

export function kindRefs(step: StepSpec): KindRef[] {
  switch (step.kind) {
    case 'gate':
      return [{ path: ['metricsFrom'], step: step.metricsFrom, kinds: metricKinds }];
    case 'register':
      return [
        ...outputRef(['artifact'], step.artifact),
        ...(step.metricsFrom ?? []).map((id, k) => ({ path: ['metricsFrom', k], step: id, kinds: metricKinds })),
      ];
    case 'promote':
      return [{ path: ['from'], step: step.from, kinds: ['register'] }];
    case 'evaluate':
      return [...outputRef(['model'], step.model), ...outputRef(['data'], step.data)];
    case 'deploy':
      return step.from !== undefined ? [{ path: ['from'], step: step.from, kinds: ['register'] }] : [];
    default:
      return [];
  }
}
