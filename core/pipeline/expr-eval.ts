/** Evaluation and reference extraction for `when` expressions (see expr.ts). */
import type { Expr, Literal, Ref } from './expr.js';

export interface StepOutcome {
  status: string;
  metrics: Record<string, unknown>;
}
export interface ExprContext {
  params: Record<string, unknown>;
  steps: Record<string, StepOutcome>;
}

/** Own properties only: `params.constructor` must not reach Object.prototype. */
function own(obj: Record<string, unknown> | undefined, key: string): unknown {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

function toLiteral(v: unknown): Literal {
  return typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v)) ? v : null;
}

function lookup(ref: Ref, ctx: ExprContext): Literal {
  if (ref.kind === 'param') return toLiteral(own(ctx.params, ref.name));
  const step = own(ctx.steps as Record<string, unknown>, ref.step) as StepOutcome | undefined;
  if (ref.kind === 'status') return toLiteral(step?.status);
  return toLiteral(own(step?.metrics, ref.name));
}

export function isTruthy(v: Literal): boolean {
  return v !== null && v !== false && v !== 0 && v !== '';
}

/** No type coercion: `==` needs equal type and value; ordering needs two numbers or two strings (null: false). */
function compare(op: string, a: Literal, b: Literal): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  const comparable =
    (typeof a === 'number' && typeof b === 'number') || (typeof a === 'string' && typeof b === 'string');
  if (!comparable) return false;
  const [x, y] = [a, b] as [number, number];
  if (op === '<') return x < y;
  if (op === '<=') return x <= y;
  if (op === '>') return x > y;
  return x >= y;
}

export function evalExpr(expr: Expr, ctx: ExprContext): Literal {
  switch (expr.type) {
    case 'lit':
      return expr.value;
    case 'ref':
      return lookup(expr.ref, ctx);
    case 'not':
      return !isTruthy(evalExpr(expr.arg, ctx));
    case 'and':
      return isTruthy(evalExpr(expr.left, ctx)) && isTruthy(evalExpr(expr.right, ctx));
    case 'or':
      return isTruthy(evalExpr(expr.left, ctx)) || isTruthy(evalExpr(expr.right, ctx));
    case 'cmp':
      return compare(expr.op, evalExpr(expr.left, ctx), evalExpr(expr.right, ctx));
  }
}

/** Whether a step's `when` holds. */
export function evalWhen(expr: Expr, ctx: ExprContext): boolean {
  return isTruthy(evalExpr(expr, ctx));
}

/** References in source order, without duplicates. */
export function exprRefs(expr: Expr): Ref[] {
  const refs = new Map<string, Ref>();
  const walk = (e: Expr): void => {
    if (e.type === 'ref') refs.set(JSON.stringify(e.ref), e.ref);
    else if (e.type === 'not') walk(e.arg);
    else if (e.type !== 'lit') {
      walk(e.left);
      walk(e.right);
    }
  };
  walk(expr);
  return [...refs.values()];
}

/** Step ids an expression reads (its implied dependencies). */
export function exprSteps(expr: Expr): string[] {
  return [...new Set(exprRefs(expr).flatMap((r) => (r.kind === 'param' ? [] : [r.step])))];
}
