/**
 * Problems found in a checkpoint. Codes are stable: users look them up in the README,
 * the Problems panel shows them, CI greps them. Never rename one; add new ones.
 */
export type Severity = 'error' | 'warning' | 'info';

export interface Problem {
  readonly code: string;
  readonly severity: Severity;
  readonly message: string;
  /** Tensor names the problem is about (attacker-controlled text: escape when rendering). */
  readonly tensors?: readonly string[];
  /** File (shard) the problem is about, relative to the opened checkpoint. */
  readonly file?: string;
}

export function problem(
  code: string,
  severity: Severity,
  message: string,
  extra: { tensors?: readonly string[]; file?: string } = {},
): Problem {
  return { code, severity, message, ...extra };
}

export function hasErrors(problems: readonly Problem[]): boolean {
  return problems.some((p) => p.severity === 'error');
}

const SEVERITY_ORDER: Record<Severity, number> = { error: 0, warning: 1, info: 2 };

export function sortProblems<T extends Problem>(problems: readonly T[]): T[] {
  return [...problems].sort((a, b) => SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity]);
}
