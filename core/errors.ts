/**
 * Domain errors, shared by the API, the CLI and activities. Each has a stable `type` slug:
 * the API turns it into an RFC 9457 problem type, activities into an ApplicationFailure type.
 */
export interface FieldIssue {
  /** JSON path of the offending field, e.g. `$.params.C` or `body.steps[2].image`. */
  path: string;
  message: string;
}

export class SluiceError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
    readonly issues: FieldIssue[] = [],
  ) {
    super(message);
    this.name = new.target.name;
  }
}

export class ValidationError extends SluiceError {
  constructor(message: string, issues: FieldIssue[] = []) {
    super('validation', 400, message, issues);
  }
}
export class NotFoundError extends SluiceError {
  constructor(what: string, id: string) {
    super('not-found', 404, `${what} "${id}" does not exist`);
  }
}
/**
 * A page cursor that does not decode to a position: the page it names does not exist. Not a 400:
 * cursors are opaque, so no schema can tell a client which strings are valid.
 */
export class CursorNotFoundError extends SluiceError {
  constructor(message: string) {
    super('cursor-not-found', 404, 'no page at this cursor', [{ path: 'querystring.cursor', message }]);
  }
}
export class ConflictError extends SluiceError {
  constructor(message: string) {
    super('conflict', 409, message);
  }
}
export class UnauthorizedError extends SluiceError {
  constructor(message: string) {
    super('unauthorized', 401, message);
  }
}
export class ForbiddenError extends SluiceError {
  constructor(message: string) {
    super('forbidden', 403, message);
  }
}

/**
 * ApplicationFailure types thrown by activities and workflows. Workflows match on these
 * strings, never on class names (which do not survive the workflow bundle).
 * - Always non-retryable (NON_RETRYABLE_FAILURES): ImageNotFound, CommandNotFound, InvalidStep,
 *   InputNotFound, DataInvalid (data that fails an ingest's expected schema or is no CSV),
 *   PolicyViolation (the worker's step policy refuses the step; nothing was started); retrying
 *   cannot fix them, so the step fails at once.
 * - The step's own fault: StepFailed, StepTimedOut; retryable until the step's retry budget is spent.
 * - Infrastructure: EngineUnavailable (the container engine cannot be reached); always retryable,
 *   and it does not spend the step's budget, since the step never ran.
 * - PipelineFailed: the run's own failure, naming the step that failed.
 */
export const FailureType = {
  ImageNotFound: 'ImageNotFound',
  CommandNotFound: 'CommandNotFound',
  InvalidStep: 'InvalidStep',
  InputNotFound: 'InputNotFound',
  DataInvalid: 'DataInvalid',
  PolicyViolation: 'PolicyViolation',
  StepFailed: 'StepFailed',
  StepTimedOut: 'StepTimedOut',
  EngineUnavailable: 'EngineUnavailable',
  PipelineFailed: 'PipelineFailed',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export const NON_RETRYABLE_FAILURES: FailureType[] = [
  FailureType.ImageNotFound,
  FailureType.CommandNotFound,
  FailureType.InvalidStep,
  FailureType.InputNotFound,
  FailureType.DataInvalid,
  FailureType.PolicyViolation,
];
