import { err, ok, type Result } from '../../core/result.js';
import { compileExpr, evalCond, evalDim, SpecError, type Env, type Value } from './expr.js';
import type { ArchitectureSpec, ExpectedTensor, PartSpec, SpecConfig, TensorTemplate } from './types.js';

/**
 * spec + config → the expected tensors, in spec order (parts in order; a repeated part block by
 * block). Pure and fast: expressions are compiled once and cached, names are built by plain
 * string replacement. Errors (a field the spec needs that the config lacks, a shape expression
 * that does not give a non-negative integer) are values with stable codes.
 */
export function expandSpec(spec: ArchitectureSpec, config: SpecConfig): Result<ExpectedTensor[]> {
  try {
    return ok(expandOrThrow(spec, config));
  } catch (e) {
    if (e instanceof SpecError) return err({ code: e.code, message: `${spec.id}: ${e.message}` });
    throw e;
  }
}

/** `expandSpec` for specs and configs the caller knows are complete (our own tables): throws SpecError. */
export interface ExpandOptions {
  /** Expand at most this many blocks of each repeated part (a skeleton for cheap pre-matching). */
  readonly maxBlocks?: number;
  /**
   * Filled in with what `maxBlocks` left out: `tensors`, at most this many more tensors (an upper
   * bound: every template tensor of every block left out, conditions not evaluated); `opaque`, true
   * when a left-out block is an opaque part (its prefix and anchors are not known).
   */
  readonly omitted?: { tensors: number; opaque: boolean };
}

export function expandOrThrow(spec: ArchitectureSpec, config: SpecConfig, opts: ExpandOptions = {}): ExpectedTensor[] {
  const env: Record<string, Value> = { ...(spec.defaults ?? {}) };
  for (const [k, v] of Object.entries(config)) if (v !== undefined) env[k] = v;
  for (const [k, v] of Object.entries(spec.vars ?? {})) env[k] = typeof v === 'number' ? v : compileExpr(v)(env);
  const out: ExpectedTensor[] = [];
  for (const part of spec.parts) expandPart(spec, part, env, out, opts.maxBlocks ?? Infinity, opts.omitted);
  return out;
}

function templateOf(spec: ArchitectureSpec, part: PartSpec): readonly TensorTemplate[] {
  if (typeof part.tensors !== 'string') return part.tensors;
  const t = spec.templates?.[part.tensors];
  if (!t) throw new SpecError('spec-expression-invalid', `part ${part.id} uses unknown template ${JSON.stringify(part.tensors)}`);
  return t;
}

function expandPart(spec: ArchitectureSpec, part: PartSpec, base: Env, out: ExpectedTensor[], maxBlocks: number, omitted?: { tensors: number; opaque: boolean }): void {
  if (!evalCond(part.when, base)) return;
  const tensors = templateOf(spec, part);
  const outer = part.each === undefined ? 1 : evalDim(part.each, base);
  const hasS = part.each !== undefined;
  for (let s = 0; s < outer; s++) {
    // Scopes chain through prototypes (no copy of the config per block: specs expand thousands of tensors).
    const envS: Record<string, Value> = Object.create(base) as Record<string, Value>;
    if (hasS) envS.S = s;
    const repeat = part.repeat === undefined ? undefined : evalDim(part.repeat, envS);
    const count = Math.min(repeat ?? 1, maxBlocks);
    if (omitted && repeat !== undefined && repeat > count) {
      if (part.opaque) omitted.opaque = true;
      else omitted.tensors += (repeat - count) * tensors.length;
    }
    for (let n = 0; n < count; n++) {
      const env: Record<string, Value> = Object.create(envS) as Record<string, Value>;
      if (repeat !== undefined) env.N = n;
      if (part.vars) for (const k in part.vars) env[k] = typeof part.vars[k] === 'number' ? part.vars[k] : compileExpr(part.vars[k] as string)(env);
      const prefix = fillVars(fill(part.prefix, n, s), env);
      if (part.opaque) {
        const count = part.count === undefined ? undefined : compileExpr(String(part.count))(env);
        out.push({ name: prefix, shape: [], part: part.id, partKind: part.kind, tower: part.tower, role: 'weight', opaque: true, ...(typeof count === 'number' && count >= 0 ? { opaqueCount: count } : {}) });
        const anchors = part.anchors === undefined ? undefined : env[part.anchors];
        if (Array.isArray(anchors)) {
          for (const a of anchors as readonly (readonly [string, readonly number[]])[]) out.push({ name: prefix + a[0], shape: [...a[1]], part: part.id, partKind: part.kind, tower: part.tower, role: 'weight' });
        }
        continue;
      }
      for (const t of tensors) {
        if (!evalCond(t.when, env)) continue;
        const shape = t.shape.map((d) => (d === '?' ? -1 : evalDim(d, env)));
        const e: ExpectedTensor = {
          name: prefix + fill(t.name, n, s),
          shape,
          part: part.id,
          partKind: part.kind,
          tower: t.tower ?? part.tower,
          role: t.role ?? 'weight',
          ...(repeat !== undefined ? { block: n } : {}),
          ...(t.tiedTo !== undefined ? { tiedTo: fill(t.tiedTo, n, s) } : {}),
          ...(t.dtype ? { dtype: t.dtype } : {}),
        };
        out.push(e);
      }
    }
  }
}

/** `{$name}` → the string value of `name` (a naming variable such as the text-tower prefix). */
function fillVars(template: string, env: Env): string {
  if (template.indexOf('{$') < 0) return template;
  return template.replace(/\{\$([A-Za-z_][A-Za-z0-9_.]*)\}/g, (_, k: string) => {
    const v = env[k];
    if (typeof v !== 'string') throw new SpecError('spec-field-missing', `prefix variable ${k} is not a string`);
    return v;
  });
}

function fill(template: string, n: number, s: number): string {
  if (template.indexOf('{') < 0) return template;
  return template.replaceAll('{N}', String(n)).replaceAll('{S+1}', String(s + 1)).replaceAll('{S}', String(s));
}
