/** Run-time params: type coercion (values often come from the CLI as strings), bounds, enums, defaults. */
import { parseInputSource, isSourceUri, URI_HINT } from './inputs.js';
import { jsonPath, type SpecIssue } from './issues.js';
import type { ParamSpec, PipelineSpec } from './schema.js';
import type { ParamValue } from './template.js';

export type ResolvedParams = Record<string, ParamValue>;

const NUMERIC = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/** Coerces and checks one value against its param spec; returns the value or an error message. */
export function checkParamValue(spec: ParamSpec, raw: unknown): { value: ParamValue } | { error: string } {
  switch (spec.type) {
    case 'number':
    case 'integer': {
      const n = typeof raw === 'number' ? raw : typeof raw === 'string' && NUMERIC.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isFinite(n)) return { error: `expected a number, got ${JSON.stringify(raw)}` };
      if (spec.type === 'integer' && !Number.isInteger(n)) return { error: `expected an integer, got ${n}` };
      if (spec.min !== undefined && n < spec.min) return { error: `must be >= ${spec.min}, got ${n}` };
      if (spec.max !== undefined && n > spec.max) return { error: `must be <= ${spec.max}, got ${n}` };
      return { value: n };
    }
    case 'boolean': {
      if (typeof raw === 'boolean') return { value: raw };
      const s = typeof raw === 'string' ? raw.trim().toLowerCase() : undefined;
      if (s === 'true' || s === 'false') return { value: s === 'true' };
      return { error: `expected true or false, got ${JSON.stringify(raw)}` };
    }
    case 'string':
      return typeof raw === 'string' ? { value: raw } : { error: `expected a string, got ${JSON.stringify(raw)}` };
    case 'enum':
      return typeof raw === 'string' && spec.values.includes(raw)
        ? { value: raw }
        : { error: `must be one of: ${spec.values.join(', ')}; got ${JSON.stringify(raw)}` };
  }
}

/** Params consumed as step inputs (`inputs: { x: params.NAME }`), by param name. */
export function paramsUsedAsInputs(spec: PipelineSpec): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  for (const step of spec.steps) {
    for (const [input, src] of Object.entries(step.inputs ?? {})) {
      const ref = parseInputSource(src);
      if (typeof ref === 'string' || ref.type !== 'param') continue;
      uses.set(ref.name, [...(uses.get(ref.name) ?? []), `input '${input}' of step '${step.id}'`]);
    }
  }
  return uses;
}

export function uriParamError(value: ParamValue, uses: string[]): string | undefined {
  if (typeof value === 'string' && isSourceUri(value)) return undefined;
  return `${JSON.stringify(value)} is used as ${uses.join(', ')} and must be a URI (${URI_HINT})`;
}

export function resolveParams(
  spec: PipelineSpec,
  given: Record<string, unknown>,
): { ok: true; params: ResolvedParams } | { ok: false; errors: SpecIssue[] } {
  const defs = spec.params ?? {};
  const known = Object.keys(defs);
  const errors: SpecIssue[] = [];
  const params: ResolvedParams = {};
  const inputUses = paramsUsedAsInputs(spec);
  for (const name of Object.keys(given)) {
    if (!Object.hasOwn(defs, name)) {
      errors.push({
        path: jsonPath(['params', name]),
        message: `unknown param; known: ${known.join(', ') || '(none)'}`,
      });
    }
  }
  for (const [name, def] of Object.entries(defs)) {
    const raw = Object.hasOwn(given, name) && given[name] !== undefined ? given[name] : def.default;
    const path = jsonPath(['params', name]);
    if (raw === undefined) {
      errors.push({ path, message: `missing required param (${def.type})` });
      continue;
    }
    const checked = checkParamValue(def, raw);
    if ('error' in checked) {
      errors.push({ path, message: checked.error });
      continue;
    }
    const uses = inputUses.get(name);
    const uriError = uses && uriParamError(checked.value, uses);
    if (uriError) errors.push({ path, message: uriError });
    params[name] = checked.value;
  }
  return errors.length > 0 ? { ok: false, errors } : { ok: true, params };
}
