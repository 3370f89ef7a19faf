/** The step graph: direct dependencies of a step, stable topological order and cycle finding. */
import { parseExpr } from './expr.js';
import { exprSteps } from './expr-eval.js';
import { parseInputSource } from './inputs.js';
import { ingestDependencies } from './kinds/ingest.js';
import { kindRefs } from './kinds/refs.js';
import type { StepSpec } from './schema.js';

/** Explicit `dependsOn` + producers of its inputs + steps its `when` reads; deduplicated, sorted. */
export function stepDependencies(step: StepSpec): string[] {
  const deps = new Set(step.dependsOn ?? []);
  for (const src of Object.values(step.inputs ?? {})) {
    const ref = parseInputSource(src);
    if (typeof ref !== 'string' && ref.type === 'step') deps.add(ref.step);
  }
  if (step.kind === 'ingest') for (const d of ingestDependencies(step)) deps.add(d);
  for (const ref of kindRefs(step)) deps.add(ref.step);
  if (step.when !== undefined) {
    try {
      for (const id of exprSteps(parseExpr(step.when))) deps.add(id);
    } catch {
      // A malformed `when` is reported by validation; it contributes no edges here.
    }
  }
  return [...deps].sort();
}

export type TopoResult = { ok: true; order: string[] } | { ok: false; cycle: string[] };

/**
 * Kahn's algorithm, always taking the ready node that comes first in `ids`, so the order is stable.
 * `deps` maps a node to the nodes it depends on; unknown ids in it are ignored.
 */
export function topoOrder(ids: readonly string[], deps: ReadonlyMap<string, readonly string[]>): TopoResult {
  const index = new Map(ids.map((id, i) => [id, i]));
  const pending = new Map(ids.map((id) => [id, new Set((deps.get(id) ?? []).filter((d) => index.has(d)))]));
  const order: string[] = [];
  while (order.length < ids.length) {
    const next = ids.find((id) => pending.get(id)?.size === 0);
    if (next === undefined) return { ok: false, cycle: findCycle(ids, deps) ?? [] };
    order.push(next);
    pending.delete(next);
    for (const waiting of pending.values()) waiting.delete(next);
  }
  return { ok: true, order };
}

/**
 * A cycle in data-flow direction (producer before consumer), starting at the node that comes first in `ids`
 * and ending where it started, e.g. [a, b, c, a]; undefined when the graph is acyclic.
 */
export function findCycle(ids: readonly string[], deps: ReadonlyMap<string, readonly string[]>): string[] | undefined {
  const index = new Map(ids.map((id, i) => [id, i]));
  const state = new Map<string, 'active' | 'done'>();
  const stack: string[] = [];
  // Walk consumer -> producer; the stack then reads reversed data flow.
  const visit = (id: string): string[] | undefined => {
    state.set(id, 'active');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) {
      if (!index.has(dep)) continue;
      if (state.get(dep) === 'active') {
        const loop = stack.slice(stack.indexOf(dep)).reverse();
        const first = loop.reduce((a, b) => (index.get(a)! <= index.get(b)! ? a : b));
        const start = loop.indexOf(first);
        const rotated = [...loop.slice(start), ...loop.slice(0, start)];
        return [...rotated, first];
      }
      if (state.get(dep) === undefined) {
        const found = visit(dep);
        if (found) return found;
      }
    }
    stack.pop();
    state.set(id, 'done');
    return undefined;
  };
  for (const id of ids) {
    if (state.get(id) !== undefined) continue;
    const found = visit(id);
    if (found) return found;
  }
  return undefined;
}
