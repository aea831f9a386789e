import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Outcome } from './worker.js';

export type { Outcome };

export interface RunResult {
  readonly outcomes: Map<string, Outcome>;
  /** Files after which the worker had to be killed (no answer within the time bound). */
  readonly hangs: string[];
  /** Files after which a PWNED_* entry appeared in the working directory (a payload ran). */
  readonly sentinels: string[];
}

const WORKER = join(__dirname, 'worker.ts');
/** tsx by absolute URL: the worker's working directory is an empty temporary folder. */
const TSX = pathToFileURL(require.resolve('tsx')).href;

/**
 * Runs every file through the readers in a child process whose working directory is a fresh,
 * empty temporary folder: one worker for all files (start-up once), restarted after a file that
 * does not answer within `perFileMs`. After each file the folder is checked for sentinels.
 */
export async function runCorpus(files: readonly string[], perFileMs = 60_000): Promise<RunResult> {
  const cwd = mkdtempSync(join(tmpdir(), 'ckl-corpus-cwd-'));
  const outcomes = new Map<string, Outcome>();
  const hangs: string[] = [];
  const sentinels: string[] = [];
  let next = 0;
  try {
    while (next < files.length) {
      const batch = files.slice(next);
      const child = spawn(process.execPath, ['--import', TSX, WORKER], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
      let buf = '';
      let current = next;
      let timer: NodeJS.Timeout | undefined;
      const arm = () => {
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => child.kill('SIGKILL'), perFileMs);
      };
      await new Promise<void>((resolve) => {
        child.stdout.setEncoding('utf8');
        child.stdout.on('data', (d: string) => {
          buf += d;
          let nl: number;
          while ((nl = buf.indexOf('\n')) >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            const o = JSON.parse(line) as Outcome;
            outcomes.set(o.file, o);
            if (readdirSync(cwd).some((n) => n.startsWith('PWNED'))) {
              sentinels.push(o.file);
              for (const n of readdirSync(cwd)) rmSync(join(cwd, n), { recursive: true, force: true });
            }
            current++;
            arm();
          }
        });
        child.stderr.resume();
        child.on('exit', () => resolve());
        arm();
        child.stdin.write(batch.join('\n') + '\n');
        child.stdin.end();
      });
      if (timer) clearTimeout(timer);
      if (current < files.length) {
        hangs.push(files[current]!);
        current++;
      }
      next = current;
    }
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
  return { outcomes, hangs, sentinels };
}
