/** Cross-field checks of the built-in kinds' references: the step exists, is not itself, is of the right kind. */
import type { PipelineSpec, StepSpec } from '../schema.js';
import { kindRefs } from './refs.js';

type Report = (path: PropertyKey[], message: string) => void;

export function checkKindRefs(spec: PipelineSpec, step: StepSpec, i: number, report: Report): void {
  for (const ref of kindRefs(step)) {
    const path = ['steps', i, ...ref.path];
    const target = spec.steps.find((s) => s.id === ref.step);
    if (ref.step === step.id) report(path, `step '${step.id}' cannot refer to itself`);
    else if (!target) report(path, `unknown step '${ref.step}'`);
    else if (ref.kinds && !ref.kinds.includes(target.kind)) {
      report(path, `step '${ref.step}' is a ${target.kind} step; expected ${ref.kinds.join(' or ')}`);
    } else if (ref.output !== undefined && !(target.outputs ?? []).includes(ref.output)) {
      const declared = (target.outputs ?? []).join(', ') || '(none)';
      report(path, `step '${ref.step}' has no output '${ref.output}'; declared: ${declared}`);
    }
  }
}
