/** Cross-field checks on a structurally valid spec: references, dependencies, cycles, param defaults. */
import { findCycle, stepDependencies } from './dag.js';
import { ExprError, parseExpr } from './expr.js';
import { exprRefs } from './expr-eval.js';
import { parseInputSource } from './inputs.js';
import { jsonPath, type SpecIssue } from './issues.js';
import { checkIngestStep, INGEST_OUTPUTS } from './kinds/ingest.js';
import { checkKindRefs } from './kinds/checks.js';
import { evaluateOutputs, reservedInputs } from './kinds/evaluate.js';
import { checkParamValue, paramsUsedAsInputs, uriParamError } from './params.js';
import type { PipelineSpec, StepSpec } from './schema.js';
import { templateRefs } from './template.js';

type Report = (path: PropertyKey[], message: string) => void;

/** A step's outputs: declared, or fixed by its kind. */
const outputsOf = (step: StepSpec | undefined): readonly string[] | undefined =>
  step &&
  (step.kind === 'ingest' ? INGEST_OUTPUTS : step.kind === 'evaluate' ? evaluateOutputs(step) : (step.outputs ?? []));

function checkParams(spec: PipelineSpec, report: Report): void {
  const uses = paramsUsedAsInputs(spec);
  for (const [name, def] of Object.entries(spec.params ?? {})) {
    if (
      (def.type === 'number' || def.type === 'integer') &&
      def.min !== undefined &&
      def.max !== undefined &&
      def.min > def.max
    ) {
      report(['params', name], `min (${def.min}) is greater than max (${def.max})`);
    }
    if (def.type === 'enum') {
      const dup = def.values.find((v, i) => def.values.indexOf(v) !== i);
      if (dup !== undefined) report(['params', name, 'values'], `duplicate enum value '${dup}'`);
    }
    if (def.default === undefined) continue;
    const checked = checkParamValue(def, def.default);
    if ('error' in checked) report(['params', name, 'default'], `default ${checked.error}`);
    // A non-string param used as an input is reported at the input instead.
    const used = def.type === 'string' || def.type === 'enum' ? uses.get(name) : undefined;
    const uriError = 'value' in checked && used && uriParamError(checked.value, used);
    if (uriError) report(['params', name, 'default'], `default ${uriError}`);
  }
}

function checkStep(spec: PipelineSpec, step: StepSpec, i: number, ids: Set<string>, report: Report): void {
  const params = spec.params ?? {};
  const knownParams = Object.keys(params).join(', ') || '(none)';
  const checkParam = (name: string, path: PropertyKey[], via: string): void => {
    if (!Object.hasOwn(params, name)) report(path, `unknown param '${name}' in ${via}; known: ${knownParams}`);
  };

  (step.outputs ?? []).forEach((out, k) => {
    if (step.outputs!.indexOf(out) !== k) report(['steps', i, 'outputs', k], `duplicate output '${out}'`);
  });

  for (const [name, src] of Object.entries(step.inputs ?? {})) {
    const path = ['steps', i, 'inputs', name];
    const ref = parseInputSource(src);
    if (typeof ref === 'string') continue; // reported by the schema
    if (ref.type === 'param') {
      checkParam(ref.name, path, 'input');
      const def = params[ref.name];
      if (def && def.type !== 'string' && def.type !== 'enum') {
        report(path, `param '${ref.name}' is of type ${def.type}; an input param must be a string holding a URI`);
      }
    } else if (ref.type === 'step') {
      const producer = spec.steps.find((s) => s.id === ref.step);
      if (ref.step === step.id) report(path, `step '${step.id}' cannot consume its own output`);
      else if (!producer) report(path, `unknown step '${ref.step}'`);
      else if (!outputsOf(producer)!.includes(ref.output)) {
        const declared = outputsOf(producer)!.join(', ') || '(none)';
        report(path, `step '${ref.step}' has no output '${ref.output}'; declared: ${declared}`);
      }
    }
  }

  if (step.kind === 'evaluate') {
    for (const name of reservedInputs(step))
      report(
        ['steps', i, 'inputs', name],
        `input '${name}' is the evaluate step's own; set it with the step's '${name}' field`,
      );
  }

  if (step.kind === 'container' || step.kind === 'evaluate') {
    if (step.python && spec.code === undefined)
      report(['steps', i, 'python'], 'python.requirements is a path in the code package, but the pipeline has no code');
    const templated: [PropertyKey[], string][] = [
      ...(step.command ?? []).map((s, k): [PropertyKey[], string] => [['command', k], s]),
      ...(step.args ?? []).map((s, k): [PropertyKey[], string] => [['args', k], s]),
      ...Object.entries(step.env ?? {}).map(([k, s]): [PropertyKey[], string] => [['env', k], s]),
    ];
    for (const [sub, s] of templated) {
      for (const ref of templateRefs(s)) {
        const path = ['steps', i, ...sub];
        if (!ref.valid) report(path, `malformed template '\${params.${ref.name}}'`);
        else checkParam(ref.name, path, 'template');
      }
    }
  }

  if (step.kind === 'ingest') checkIngestStep(step, i, (id) => outputsOf(spec.steps.find((s) => s.id === id)), report);
  checkKindRefs(spec, step, i, report);

  (step.dependsOn ?? []).forEach((dep, k) => {
    const path = ['steps', i, 'dependsOn', k];
    if (dep === step.id) report(path, `step '${step.id}' cannot depend on itself`);
    else if (!ids.has(dep)) report(path, `unknown step '${dep}'`);
  });

  if (step.when !== undefined) {
    const path = ['steps', i, 'when'];
    try {
      for (const ref of exprRefs(parseExpr(step.when))) {
        if (ref.kind === 'param') checkParam(ref.name, path, 'when');
        else if (ref.step === step.id) report(path, `when cannot refer to its own step '${step.id}'`);
        else if (!ids.has(ref.step)) report(path, `unknown step '${ref.step}' in when`);
      }
    } catch (err) {
      if (!(err instanceof ExprError)) throw err;
      report(path, `invalid expression: ${err.message}`);
    }
  }
}

export function checkSpec(spec: PipelineSpec): SpecIssue[] {
  const issues: SpecIssue[] = [];
  const report: Report = (path, message) => issues.push({ path: jsonPath(path), message });
  checkParams(spec, report);

  const ids = new Set<string>();
  spec.steps.forEach((step, i) => {
    if (ids.has(step.id)) report(['steps', i, 'id'], `duplicate step id '${step.id}'`);
    ids.add(step.id);
  });
  spec.steps.forEach((step, i) => checkStep(spec, step, i, ids, report));
  // With duplicate ids the graph is ambiguous; any cycle would be an artefact of the duplicates.
  if (ids.size < spec.steps.length) return issues;

  // Self-edges are already reported where they are written; leave them out so a cycle is reported once.
  const deps = new Map(spec.steps.map((s) => [s.id, stepDependencies(s).filter((d) => d !== s.id)]));
  const cycle = findCycle([...ids], deps);
  if (cycle) report(['steps'], `cycle: ${cycle.join(' -> ')}`);
  return issues;
}
