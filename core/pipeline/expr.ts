/**
 * The `when` condition language: `||`, `&&`, `!`, comparisons, parentheses, literals and references to
 * `params.<name>`, `steps.<id>.status` and `steps.<id>.metrics.<name>`. Parsed by hand into a plain JSON AST
 * (it travels through Temporal as data); nothing is ever evaluated as JavaScript.
 */

export type Literal = string | number | boolean | null;
export type Ref =
  { kind: 'param'; name: string } | { kind: 'status'; step: string } | { kind: 'metric'; step: string; name: string };
export type CmpOp = '==' | '!=' | '<' | '<=' | '>' | '>=';
export type Expr =
  | { type: 'lit'; value: Literal }
  | { type: 'ref'; ref: Ref }
  | { type: 'not'; arg: Expr }
  | { type: 'and' | 'or'; left: Expr; right: Expr }
  | { type: 'cmp'; op: CmpOp; left: Expr; right: Expr };

export class ExprError extends Error {
  /** 0-based character offset into the source. */
  readonly pos: number;
  constructor(message: string, pos: number) {
    super(`${message} at position ${pos}`);
    this.name = 'ExprError';
    this.pos = pos;
  }
}

type Token =
  | { t: 'op'; v: string; pos: number }
  | { t: 'num'; v: number; pos: number }
  | { t: 'str'; v: string; pos: number }
  | { t: 'path'; v: string; pos: number }
  | { t: 'end'; pos: number };

const CMP_OPS: readonly string[] = ['==', '!=', '<=', '>=', '<', '>'];
const OPS = ['||', '&&', ...CMP_OPS, '!', '(', ')'];
const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '\\': '\\', "'": "'", '"': '"' };

function tokenize(src: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (op) {
      tokens.push({ t: 'op', v: op, pos: i });
      i += op.length;
      continue;
    }
    const num = /^-?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      tokens.push({ t: 'num', v: Number(num[0]), pos: i });
      i += num[0].length;
      continue;
    }
    // A dotted path is one token: there is no other use of '.', and names may contain '-'.
    const path = /^[A-Za-z_][A-Za-z0-9_-]*(\.[A-Za-z0-9_-]+)*/.exec(src.slice(i));
    if (path) {
      tokens.push({ t: 'path', v: path[0], pos: i });
      i += path[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      let v = '';
      let j = i + 1;
      for (; j < src.length && src[j] !== c; j++) {
        if (src[j] === '\\') {
          const e = ESCAPES[src[j + 1] ?? ''];
          if (e === undefined) throw new ExprError('invalid escape in string', j);
          v += e;
          j++;
        } else v += src[j];
      }
      if (j >= src.length) throw new ExprError('unterminated string', i);
      tokens.push({ t: 'str', v, pos: i });
      i = j + 1;
      continue;
    }
    if (c === '=' || c === '&' || c === '|') throw new ExprError(`unexpected '${c}' (did you mean '${c}${c}'?)`, i);
    throw new ExprError(`unexpected character '${c}'`, i);
  }
  tokens.push({ t: 'end', pos: src.length });
  return tokens;
}

function toRef(path: string, pos: number): Expr {
  if (path === 'true' || path === 'false') return { type: 'lit', value: path === 'true' };
  if (path === 'null') return { type: 'lit', value: null };
  const parts = path.split('.');
  if (parts[0] === 'params' && parts.length === 2) return { type: 'ref', ref: { kind: 'param', name: parts[1]! } };
  if (parts[0] === 'steps' && parts.length === 3 && parts[2] === 'status') {
    return { type: 'ref', ref: { kind: 'status', step: parts[1]! } };
  }
  if (parts[0] === 'steps' && parts.length >= 4 && parts[2] === 'metrics') {
    return { type: 'ref', ref: { kind: 'metric', step: parts[1]!, name: parts.slice(3).join('.') } };
  }
  throw new ExprError(
    `unknown reference '${path}': expected params.<name>, steps.<id>.status or steps.<id>.metrics.<name>`,
    pos,
  );
}

export function parseExpr(src: string): Expr {
  const tokens = tokenize(src);
  let k = 0;
  const peek = (): Token => tokens[k]!;
  const isOp = (v: string): boolean => {
    const tok = peek();
    return tok.t === 'op' && tok.v === v;
  };
  const isCmp = (tok: Token): tok is Token & { t: 'op'; v: CmpOp } => tok.t === 'op' && CMP_OPS.includes(tok.v);
  const describe = (tok: Token): string =>
    tok.t === 'end' ? 'end of expression' : tok.t === 'str' ? JSON.stringify(tok.v) : `'${tok.v}'`;

  const binary = (type: 'or' | 'and', op: string, next: () => Expr) => (): Expr => {
    let left = next();
    while (isOp(op)) {
      k++;
      left = { type, left, right: next() };
    }
    return left;
  };
  const primary = (): Expr => {
    const tok = tokens[k++]!;
    if (tok.t === 'num' || tok.t === 'str') return { type: 'lit', value: tok.v };
    if (tok.t === 'path') {
      if (isOp('(')) throw new ExprError(`function calls are not supported ('${tok.v}(')`, peek().pos);
      return toRef(tok.v, tok.pos);
    }
    if (tok.t === 'op' && tok.v === '(') {
      const inner = or();
      if (!isOp(')')) throw new ExprError(`expected ')' but found ${describe(peek())}`, peek().pos);
      k++;
      return inner;
    }
    throw new ExprError(`expected a value but found ${describe(tok)}`, tok.pos);
  };
  const unary = (): Expr => {
    if (isOp('!')) {
      k++;
      return { type: 'not', arg: unary() };
    }
    return primary();
  };
  const comparison = (): Expr => {
    const left = unary();
    const tok = peek();
    if (!isCmp(tok)) return left;
    k++;
    const expr: Expr = { type: 'cmp', op: tok.v, left, right: unary() };
    if (isCmp(peek())) throw new ExprError('comparisons cannot be chained; combine them with &&', peek().pos);
    return expr;
  };
  const and = binary('and', '&&', comparison);
  const or: () => Expr = binary('or', '||', and);

  const expr = or();
  if (peek().t !== 'end') throw new ExprError(`unexpected ${describe(peek())}`, peek().pos);
  return expr;
}
