/**
 * Shape and condition expressions of architecture specs: a tiny, closed arithmetic language over
 * config fields, compiled once to closures (no `eval`, no regexes at expansion time).
 *
 *   numbers, identifiers (`width`, `vision.width`, `N`), + - * / (exact division) // (floor
 *   division) %, ** , comparisons == != < <= > >=, && || !, `c ? a : b`, parentheses, and the
 *   functions at(list, i), min, max, floor, ceil, round, sqrt, isqrt, defined(x), len(list).
 *
 * `/` must divide exactly (a spec that divides 768 by 5 is wrong, not "153.6 rows"); use `//` or
 * floor() when the model floors. Values are numbers, booleans, strings (compared with ==) or lists.
 */

export type Value = number | boolean | string | readonly Value[] | null | undefined;
export type Env = Readonly<Record<string, Value>>;
export type Compiled = (env: Env) => Value;

export class SpecError extends Error {
  constructor(
    readonly code: 'spec-expression-invalid' | 'spec-field-missing' | 'spec-value-invalid',
    message: string,
  ) {
    super(message);
  }
}

type Tok = { t: 'num'; v: number } | { t: 'id'; v: string } | { t: 'str'; v: string } | { t: 'op'; v: string };

const OPS = ['**', '//', '==', '!=', '<=', '>=', '&&', '||', '+', '-', '*', '/', '%', '<', '>', '!', '?', ':', '(', ')', ','];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i]!;
    if (c === ' ') {
      i++;
      continue;
    }
    if ((c >= '0' && c <= '9') || (c === '.' && /[0-9]/.test(src[i + 1] ?? ''))) {
      let j = i;
      while (j < src.length && /[0-9.eE]/.test(src[j]!)) j++;
      out.push({ t: 'num', v: Number(src.slice(i, j)) });
      i = j;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      let j = i;
      while (j < src.length && /[A-Za-z0-9_.]/.test(src[j]!)) j++;
      out.push({ t: 'id', v: src.slice(i, j) });
      i = j;
      continue;
    }
    if (c === "'") {
      const j = src.indexOf("'", i + 1);
      if (j < 0) throw new SpecError('spec-expression-invalid', `unterminated string in ${JSON.stringify(src)}`);
      out.push({ t: 'str', v: src.slice(i + 1, j) });
      i = j + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new SpecError('spec-expression-invalid', `unexpected ${JSON.stringify(c)} in ${JSON.stringify(src)}`);
    out.push({ t: 'op', v: op });
    i += op.length;
  }
  return out;
}

const BINARY: Record<string, { prec: number; right?: boolean }> = {
  '||': { prec: 1 },
  '&&': { prec: 2 },
  '==': { prec: 3 },
  '!=': { prec: 3 },
  '<': { prec: 4 },
  '<=': { prec: 4 },
  '>': { prec: 4 },
  '>=': { prec: 4 },
  '+': { prec: 5 },
  '-': { prec: 5 },
  '*': { prec: 6 },
  '/': { prec: 6 },
  '//': { prec: 6 },
  '%': { prec: 6 },
  '**': { prec: 8, right: true },
};

const numOf = (v: Value, src: string): number => {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new SpecError('spec-value-invalid', `${JSON.stringify(src)}: expected a number, got ${JSON.stringify(v)}`);
};
const truthy = (v: Value): boolean => (Array.isArray(v) ? v.length > 0 : Boolean(v));

const FUNCS: Record<string, (args: Value[], src: string) => Value> = {
  at: ([l, i], src) => {
    if (!Array.isArray(l)) throw new SpecError('spec-value-invalid', `${src}: at() needs a list`);
    return (l as readonly Value[])[numOf(i, src)];
  },
  len: ([l], src) => {
    if (!Array.isArray(l)) throw new SpecError('spec-value-invalid', `${src}: len() needs a list`);
    return l.length;
  },
  min: (a, src) => Math.min(...a.map((x) => numOf(x, src))),
  max: (a, src) => Math.max(...a.map((x) => numOf(x, src))),
  floor: ([x], src) => Math.floor(numOf(x, src)),
  ceil: ([x], src) => Math.ceil(numOf(x, src)),
  round: ([x], src) => Math.round(numOf(x, src)),
  sqrt: ([x], src) => Math.sqrt(numOf(x, src)),
  isqrt: ([x], src) => Math.floor(Math.sqrt(numOf(x, src)) + 1e-9),
  defined: ([x]) => x !== undefined && x !== null,
  // `def(x, d)`: x, or d when x is absent (config fields a spec treats as optional).
  def: ([x, d]) => (x === undefined || x === null ? d : x),
};

const cache = new Map<string, Compiled>();

/** Compiles `src` (cached). Throws SpecError for a malformed expression. */
export function compileExpr(src: string): Compiled {
  let c = cache.get(src);
  if (c) return c;
  const toks = tokenize(src);
  let p = 0;
  const peek = () => toks[p];
  const expectOp = (v: string) => {
    const t = toks[p];
    if (!t || t.t !== 'op' || t.v !== v) throw new SpecError('spec-expression-invalid', `expected ${JSON.stringify(v)} in ${JSON.stringify(src)}`);
    p++;
  };
  const primary = (): Compiled => {
    const t = toks[p++];
    if (!t) throw new SpecError('spec-expression-invalid', `unexpected end of ${JSON.stringify(src)}`);
    if (t.t === 'num') {
      const v = t.v;
      return () => v;
    }
    if (t.t === 'str') {
      const v = t.v;
      return () => v;
    }
    if (t.t === 'id') {
      const name = t.v;
      if (name === 'true') return () => true;
      if (name === 'false') return () => false;
      if (name === 'null') return () => null;
      const next = peek();
      if (next && next.t === 'op' && next.v === '(') {
        const fn = FUNCS[name];
        if (!fn) throw new SpecError('spec-expression-invalid', `unknown function ${name}() in ${JSON.stringify(src)}`);
        p++;
        const args: Compiled[] = [];
        if (!(peek()?.t === 'op' && peek()!.v === ')')) {
          for (;;) {
            args.push(ternary());
            if (peek()?.t === 'op' && peek()!.v === ',') {
              p++;
              continue;
            }
            break;
          }
        }
        expectOp(')');
        return (env) =>
          fn(
            args.map((a) => a(env)),
            src,
          );
      }
      // `defined(x)` / `def(x, d)` may see an absent field; everything else needs it.
      return (env) => env[name];
    }
    if (t.v === '(') {
      const e = ternary();
      expectOp(')');
      return e;
    }
    if (t.v === '-') {
      const e = unaryOperand();
      return (env) => -numOf(e(env), src);
    }
    if (t.v === '!') {
      const e = unaryOperand();
      return (env) => !truthy(e(env));
    }
    throw new SpecError('spec-expression-invalid', `unexpected ${JSON.stringify(t.v)} in ${JSON.stringify(src)}`);
  };
  const unaryOperand = (): Compiled => binary(7);
  const binary = (minPrec: number): Compiled => {
    let left = primary();
    for (;;) {
      const t = peek();
      if (!t || t.t !== 'op') break;
      const info = BINARY[t.v];
      if (!info || info.prec < minPrec) break;
      p++;
      const right = binary(info.right ? info.prec : info.prec + 1);
      left = combine(t.v, left, right, src);
    }
    return left;
  };
  const ternary = (): Compiled => {
    const cond = binary(1);
    const t = peek();
    if (!t || t.t !== 'op' || t.v !== '?') return cond;
    p++;
    const a = ternary();
    expectOp(':');
    const b = ternary();
    return (env) => (truthy(cond(env)) ? a(env) : b(env));
  };
  const root = ternary();
  if (p !== toks.length) throw new SpecError('spec-expression-invalid', `trailing input in ${JSON.stringify(src)}`);
  c = root;
  cache.set(src, c);
  return c;
}

function combine(op: string, a: Compiled, b: Compiled, src: string): Compiled {
  const n = (x: Value) => numOf(x, src);
  switch (op) {
    case '+':
      return (e) => n(a(e)) + n(b(e));
    case '-':
      return (e) => n(a(e)) - n(b(e));
    case '*':
      return (e) => n(a(e)) * n(b(e));
    case '/':
      return (e) => {
        const x = n(a(e));
        const y = n(b(e));
        if (y === 0 || x % y !== 0) throw new SpecError('spec-value-invalid', `${JSON.stringify(src)}: ${x} / ${y} does not divide exactly`);
        return x / y;
      };
    case '//':
      return (e) => Math.floor(n(a(e)) / n(b(e)));
    case '%':
      return (e) => n(a(e)) % n(b(e));
    case '**':
      return (e) => n(a(e)) ** n(b(e));
    case '==':
      return (e) => a(e) === b(e);
    case '!=':
      return (e) => a(e) !== b(e);
    case '<':
      return (e) => n(a(e)) < n(b(e));
    case '<=':
      return (e) => n(a(e)) <= n(b(e));
    case '>':
      return (e) => n(a(e)) > n(b(e));
    case '>=':
      return (e) => n(a(e)) >= n(b(e));
    case '&&':
      return (e) => truthy(a(e)) && truthy(b(e));
    case '||':
      return (e) => truthy(a(e)) || truthy(b(e));
  }
  throw new SpecError('spec-expression-invalid', `operator ${op} in ${JSON.stringify(src)}`);
}

/** Evaluates a shape dimension: a literal number or an expression that must give a non-negative integer. */
export function evalDim(d: number | string, env: Env): number {
  if (typeof d === 'number') return d;
  const v = compileExpr(d)(env);
  // -1 = "any size" (a field the config does not fix, e.g. a timm classifier's rows without its pretrained tag).
  if (v === -1) return -1;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    if (v === undefined) throw new SpecError('spec-field-missing', `${JSON.stringify(d)}: a config field it uses is missing`);
    throw new SpecError('spec-value-invalid', `${JSON.stringify(d)} = ${JSON.stringify(v)}, not a non-negative integer`);
  }
  return v;
}

export function evalCond(c: string | undefined, env: Env): boolean {
  if (c === undefined) return true;
  return truthy(compileExpr(c)(env));
}

export function evalValue(x: number | string | boolean, env: Env): Value {
  return typeof x === 'string' ? compileExpr(x)(env) : x;
}
