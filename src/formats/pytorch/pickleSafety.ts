import { problem, type Problem } from '../../core/problems.js';
import { readError, type ReadError } from '../../core/result.js';
import type { GlobalPolicyReport, UnpickleError } from './pickle/unpickler.js';

/**
 * Problems for the globals named by every pickle of a file (data.pkl, constants.pkl, any other
 * .pkl of a zip; the five pickles of a legacy file). See globalPolicy.ts for the classes.
 */
export interface ScannedPickle {
  /** Where the pickle is (`archive/data.pkl`, `legacy sys_info pickle`...). */
  readonly where: string;
  readonly policy: GlobalPolicyReport;
}

const LIST = 10;

function listed(names: readonly string[]): string {
  return names.slice(0, LIST).map((n) => JSON.stringify(n)).join(', ') + (names.length > LIST ? `, … (${names.length} in all)` : '');
}

function collect(scans: readonly ScannedPickle[], pick: (p: GlobalPolicyReport) => readonly string[]): { names: string[]; where: string[] } {
  const names = new Set<string>();
  const where: string[] = [];
  for (const s of scans) {
    const n = pick(s.policy);
    if (n.length === 0) continue;
    where.push(s.where);
    for (const x of n) names.add(x);
  }
  return { names: [...names], where };
}

export function pickleSafetyProblems(scans: readonly ScannedPickle[]): Problem[] {
  const out: Problem[] = [];
  const exec = collect(scans, (p) => p.codeExecution);
  if (exec.names.length > 0) {
    out.push(
      problem(
        'pickle-code-execution-attempt',
        'error',
        `The pickle (${exec.where.join(', ')}) references ${listed(exec.names)}: loading this file with torch.load(weights_only=False) or pickle would run code. Checkpoint Lens never runs pickle code; whatever it lists was read as data only.`,
      ),
    );
  }
  const unsafe = collect(scans, (p) => p.unsafe);
  if (unsafe.names.length > 0) {
    out.push(
      problem(
        'pickle-unsafe-global',
        'error',
        `The pickle (${unsafe.where.join(', ')}) names ${listed(unsafe.names)}, outside what rebuilding tensors needs: torch.load(weights_only=False) would import ${unsafe.names.length === 1 ? 'it' : 'them'} and can run code; torch.load(weights_only=True) refuses the file. Checkpoint Lens read ${unsafe.names.length === 1 ? 'it' : 'them'} as inert names only.`,
      ),
    );
  }
  const data = collect(scans, (p) => p.data);
  if (data.names.length > 0) {
    out.push(
      problem(
        'pickle-non-weights-global',
        'warning',
        `The pickle (${data.where.join(', ')}) holds ${listed(data.names)}: known data classes (training arguments, numpy arrays, paths, nn.Module classes), read as inert records. torch.load(weights_only=True), the default since torch 2.6, refuses them unless allowlisted.`,
      ),
    );
  }
  return out;
}

/**
 * A pickle that failed to parse: when it had already named an unsafe global, that is what the user
 * must hear (CPython imports, and may call, it before reaching the bad opcode), not only "invalid".
 */
export function failedPickleError(where: string, e: UnpickleError, file: string): ReadError {
  const p = e.policy;
  const exec = p.codeExecution.length > 0;
  if (!exec && p.unsafe.length === 0) return readError(e.code, `${where}: ${e.message}`, file);
  const names = exec ? p.codeExecution : p.unsafe;
  return readError(
    exec ? 'pickle-code-execution-attempt' : 'pickle-unsafe-global',
    `${where} references ${listed(names)} ${exec ? '(code execution)' : '(outside the tensor allowlist)'} and is then rejected [${e.code}]: ${e.message} torch.load(weights_only=False) would import${exec ? ' and run' : ''} ${names.length === 1 ? 'it' : 'them'} before failing. Nothing was run.`,
    file,
  );
}
