import { SluiceError } from '../errors.js';
import type { PolicyRule } from './schema.js';

/** A pipeline that asks for more than the step policy allows: refused when it is applied. */
export class PolicyViolationError extends SluiceError {
  constructor(issues: Array<{ path: string; message: string; rule: PolicyRule }>, what = 'the pipeline') {
    const rules = [...new Set(issues.map((i) => i.rule))].join(', ');
    super(
      'policy-violation',
      400,
      `${what} asks for more than this installation's step policy allows (${issues.length} violation(s) of: ${rules})`,
      issues,
    );
  }
}
