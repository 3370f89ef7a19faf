import { describe, expect, it } from 'vitest';
import { ExprError, parseExpr, type Expr } from './expr.js';
import { evalExpr, evalWhen, exprRefs, type ExprContext } from './expr-eval.js';

const ctx: ExprContext = {
  params: { deploy: true, mode: 'fast', threshold: 0.9 },
  steps: {
    evaluate: { status: 'succeeded', metrics: { accuracy: 0.93, 'val.loss': 0.2 } },
    train: { status: 'cached', metrics: {} },
  },
};
const run = (src: string) => evalExpr(parseExpr(src), ctx);

function errorOf(src: string): ExprError {
  try {
    parseExpr(src);
  } catch (err) {
    if (err instanceof ExprError) return err;
    throw err;
  }
  throw new Error(`expected ${src} to fail`);
}

describe('parseExpr', () => {
  it('gives && precedence over ||', () => {
    expect(parseExpr('true || false && false')).toEqual<Expr>({
      type: 'or',
      left: { type: 'lit', value: true },
      right: { type: 'and', left: { type: 'lit', value: false }, right: { type: 'lit', value: false } },
    });
    expect(run('true || false && false')).toBe(true);
    expect(run('(true || false) && false')).toBe(false);
  });

  it('parses references and literals', () => {
    expect(
      parseExpr("steps.evaluate.metrics.accuracy >= 0.9 && params.mode != 'full' || null == steps.x.status"),
    ).toEqual<Expr>({
      type: 'or',
      left: {
        type: 'and',
        left: {
          type: 'cmp',
          op: '>=',
          left: { type: 'ref', ref: { kind: 'metric', step: 'evaluate', name: 'accuracy' } },
          right: { type: 'lit', value: 0.9 },
        },
        right: {
          type: 'cmp',
          op: '!=',
          left: { type: 'ref', ref: { kind: 'param', name: 'mode' } },
          right: { type: 'lit', value: 'full' },
        },
      },
      right: {
        type: 'cmp',
        op: '==',
        left: { type: 'lit', value: null },
        right: { type: 'ref', ref: { kind: 'status', step: 'x' } },
      },
    });
  });

  it('produces a JSON-serialisable AST', () => {
    const ast = parseExpr('!(steps.a.metrics.x < -1.5) && "s" == \'s\'');
    expect(JSON.parse(JSON.stringify(ast))).toEqual(ast);
  });

  it.each([
    ['steps.a.metrics.x >', 19, /expected a value/],
    ['(true', 5, /expected '\)'/],
    ['true false', 5, /unexpected 'false'/],
    ['params.a = 1', 9, /did you mean '=='/],
    ['params.a & true', 9, /did you mean '&&'/],
    ["'abc", 0, /unterminated string/],
    ['1 < 2 < 3', 6, /cannot be chained/],
    ['steps.a.outputs.x == 1', 0, /unknown reference/],
    ['params == 1', 0, /unknown reference/],
    ['a # b', 2, /unexpected character '#'/],
    ['true # b', 5, /unexpected character '#'/],
  ])('rejects %j at position %d', (src, pos, message) => {
    const err = errorOf(src);
    expect(err.pos).toBe(pos);
    expect(err.message).toMatch(message);
    expect(err.message).toContain(`position ${pos}`);
  });

  it.each([
    "constructor.constructor('x')()",
    'process.exit()',
    "require('fs')",
    'this.x',
    '`x`',
    'params.a; process.exit()',
  ])('never treats %j as code', (src) => {
    expect(() => parseExpr(src)).toThrow(ExprError);
  });
});

describe('evalExpr', () => {
  it('compares numbers, strings and booleans', () => {
    expect(run('steps.evaluate.metrics.accuracy >= 0.9 && params.deploy == true')).toBe(true);
    expect(run('steps.evaluate.metrics.accuracy >= params.threshold')).toBe(true);
    expect(run("params.mode == 'fast'")).toBe(true);
    expect(run('params.mode == "full"')).toBe(false);
    expect(run("'abc' < 'abd'")).toBe(true);
    expect(run("steps.train.status == 'cached'")).toBe(true);
    expect(run('steps.evaluate.metrics.val.loss < 0.5')).toBe(true);
  });

  it('applies ! and parentheses', () => {
    expect(run('!params.deploy')).toBe(false);
    expect(run('!!params.deploy')).toBe(true);
    expect(run('!(steps.evaluate.metrics.accuracy < 0.5)')).toBe(true);
  });

  it('does not coerce types', () => {
    expect(run("params.threshold == '0.9'")).toBe(false);
    expect(run("params.threshold < '1'")).toBe(false);
    expect(run('params.deploy == 1')).toBe(false);
  });

  it('treats a missing metric as null', () => {
    expect(run('steps.train.metrics.accuracy')).toBeNull();
    expect(run('steps.train.metrics.accuracy == null')).toBe(true);
    expect(run('steps.train.metrics.accuracy != null')).toBe(false);
    for (const op of ['<', '<=', '>', '>=']) {
      expect(run(`steps.train.metrics.accuracy ${op} 0`)).toBe(false);
      expect(run(`0 ${op} steps.train.metrics.accuracy`)).toBe(false);
    }
    expect(run('steps.unknown.status == null')).toBe(true);
  });

  it('reads only own properties of the context', () => {
    expect(run('params.constructor == null')).toBe(true);
    expect(run('steps.evaluate.metrics.__proto__ == null')).toBe(true);
    expect(run('steps.toString.status == null')).toBe(true);
  });

  it('evalWhen is truthiness', () => {
    expect(evalWhen(parseExpr('params.mode'), ctx)).toBe(true);
    expect(evalWhen(parseExpr('steps.train.metrics.x'), ctx)).toBe(false);
    expect(evalWhen(parseExpr('0'), ctx)).toBe(false);
    expect(evalWhen(parseExpr("''"), ctx)).toBe(false);
  });
});

describe('exprRefs', () => {
  it('lists each reference once, in source order', () => {
    const refs = exprRefs(parseExpr("steps.b.metrics.acc > 1 && params.p || steps.a.status == 'x' && params.p"));
    expect(refs).toEqual([
      { kind: 'metric', step: 'b', name: 'acc' },
      { kind: 'param', name: 'p' },
      { kind: 'status', step: 'a' },
    ]);
  });
});
