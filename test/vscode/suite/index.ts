/**
 * `extensionTestsPath` entry, as for @vscode/test-electron: runs the mocha suite inside the
 * extension host. code-server does not propagate pass/fail through the exit code, so the results
 * are also written as JSON to `<workspace>/.checkpoint-lens-test-results.json` (or the path in
 * CHECKPOINT_LENS_TEST_RESULTS) for the driver to read.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Mocha from 'mocha';
import * as vscode from 'vscode';

export function resultsPath(): string {
  const ws = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  return process.env.CHECKPOINT_LENS_TEST_RESULTS ?? join(ws ?? process.cwd(), '.checkpoint-lens-test-results.json');
}

export async function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false });
  mocha.addFile(join(__dirname, 'extension.test.js'));
  const results: { title: string; state: 'passed' | 'failed'; error?: string; ms?: number }[] = [];
  const out = resultsPath();
  await new Promise<void>((resolve, reject) => {
    try {
      const runner = mocha.run((failures) => {
        writeFileSync(out, JSON.stringify({ done: true, failures, tests: results }, null, 1));
        if (failures > 0) reject(new Error(`${failures} in-host test(s) failed`));
        else resolve();
      });
      runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', ms: t.duration ?? 0 }));
      runner.on('fail', (t, e: Error) => results.push({ title: t.fullTitle(), state: 'failed', error: `${e.message}\n${e.stack ?? ''}`.slice(0, 4000) }));
    } catch (e) {
      writeFileSync(out, JSON.stringify({ done: true, failures: 1, tests: [{ title: 'mocha', state: 'failed', error: String(e) }] }));
      reject(e);
    }
  });
}
