// Workflow-safe: nothing here imports a Node built-in. specDigest lives in './hash.js' (node:crypto) and is
// imported from there directly, so Temporal's workflow bundler never sees it.
export {
  pipelineSchema,
  stepSchema,
  containerStepSchema,
  paramSchema,
  settingsSchema,
  API_VERSION,
  EXECUTORS,
  PIPELINE_NAME,
  PIPELINE_NAME_HINT,
  type PipelineSpec,
  type StepSpec,
  type ContainerStepSpec,
  type ParamSpec,
  type PipelineSettings,
  type StepKind,
  type ExecutorName,
} from './schema.js';
export { parseDuration, parseMemory } from './units.js';
export { parseExpr, ExprError, type Expr, type Ref, type Literal, type CmpOp } from './expr.js';
export { evalExpr, evalWhen, exprRefs, exprSteps, isTruthy, type ExprContext, type StepOutcome } from './expr-eval.js';
export { parseInputSource, isSourceUri, type InputRef } from './inputs.js';
export { renderTemplate, templateRefs, type ParamValue } from './template.js';
export { type SpecIssue } from './issues.js';
export { parsePipelineSpec, type SpecResult } from './validate.js';
export { resolveParams, checkParamValue, type ResolvedParams } from './params.js';
export {
  compilePlan,
  type Plan,
  type PlanStep,
  type PlanStepBase,
  type ContainerPlanStep,
  type InputSource,
  type CompileOptions,
} from './plan.js';
export { stepDependencies, topoOrder, findCycle, type TopoResult } from './dag.js';
