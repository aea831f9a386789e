/**
 * Runs the readers over files named on stdin (one absolute path a line) and prints one JSON line
 * per file: the CLI's exit code for `inspect --header-only` / `stats`, the problem or error codes,
 * the tensor count, and any exception that escaped (a crash). Started by corpusRunner.ts in an
 * empty working directory, which watches for hangs and sentinel files.
 */
import { createInterface } from 'node:readline';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { hasErrors } from '../../src/core/problems.js';
import { CheckpointLensError } from '../../src/core/result.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { planReads } from '../../src/stats/readPlan.js';
import { tensorStats } from '../../src/stats/tensorStats.js';

export interface Outcome {
  readonly file: string;
  /** 0 ok, 1 error-severity problems, 2 refused (the CLI's exit codes). */
  readonly exit: number;
  readonly codes: readonly string[];
  readonly tensors: number;
  readonly unreadable: number;
  readonly message: string;
  /** An exception that was not an error value: a crash. */
  readonly crash?: string;
  readonly ms: number;
}

async function runOne(file: string): Promise<Outcome> {
  const t0 = Date.now();
  const done = (o: Omit<Outcome, 'file' | 'ms'>): Outcome => ({ file, ...o, ms: Date.now() - t0 });
  let c: Checkpoint;
  try {
    const r = await openCheckpoint(file);
    if (!r.ok) return done({ exit: 2, codes: [r.error.code], tensors: 0, unreadable: 0, message: r.error.message });
    c = r.value;
  } catch (e) {
    return done({ exit: 2, codes: [], tensors: 0, unreadable: 0, message: '', crash: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  }
  const codes = c.problems.map((p) => p.code);
  let exit = hasErrors(c.problems) ? 1 : 0;
  const message = c.problems.filter((p) => p.severity === 'error').map((p) => `${p.code}: ${p.message}`).join(' | ');
  // The stats pass: every readable tensor's values, read once, bounded by the file size.
  const plan = planReads(c, c.tensors);
  if (!plan.ok) return done({ exit: 2, codes: [...codes, plan.error.code], tensors: c.tensors.length, unreadable: c.unreadable.length, message: plan.error.message });
  for (const t of plan.value.distinct) {
    try {
      await tensorStats(t, { bins: 8 });
    } catch (e) {
      if (e instanceof CheckpointLensError) {
        codes.push(e.code);
        exit = 2;
        continue;
      }
      return done({ exit: 2, codes, tensors: c.tensors.length, unreadable: c.unreadable.length, message, crash: e instanceof Error ? (e.stack ?? e.message) : String(e) });
    }
  }
  return done({ exit, codes, tensors: c.tensors.length, unreadable: c.unreadable.length, message });
}

async function main(): Promise<void> {
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    if (line.trim() === '') continue;
    const o = await runOne(line.trim());
    process.stdout.write(JSON.stringify(o) + '\n');
  }
}

void main();
