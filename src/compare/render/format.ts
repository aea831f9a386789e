import type { PairResult, SideRef } from '../types.js';

/** Numbers for humans: 3 significant digits, exponent form for very small/large values. */
export function num(x: number | null | undefined): string {
  if (x === null || x === undefined) return '–';
  if (x === 0) return '0';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e5 ? String(Number(x.toPrecision(3))) : x.toExponential(2);
}

/** Cosine close to 1 is where the information is: show enough digits to see 0.99999 vs 1. */
export function cos(x: number | undefined): string {
  if (x === undefined) return '–';
  if (x === 1) return '1';
  return x > 0.999 ? x.toFixed(6) : x.toFixed(4);
}

export const STATUS_LABEL: Record<PairResult['status'], string> = {
  identical: 'identical',
  equal: 'equal',
  close: 'within tolerance',
  different: 'DIFFERENT',
  'shape-mismatch': 'shape mismatch',
  unreadable: 'unreadable',
};

export function shapeText(s: readonly number[]): string {
  return `[${s.join(', ')}]`;
}

/** "head.weight (transpose)" / "q_proj, k_proj, v_proj (concat0)". */
export function sideText(s: SideRef): string {
  return `${s.names.join(', ')}${s.transform === 'identity' ? '' : ` (${s.transform})`}`;
}

export function pct(part: number, whole: number): string {
  if (whole === 0) return '0%';
  const v = (100 * part) / whole;
  return v > 0 && v < 0.01 ? '<0.01%' : `${Number(v.toPrecision(3))}%`;
}
