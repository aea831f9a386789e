/**
 * Runs the same in-host suite under desktop VS Code via @vscode/test-electron (downloads VS Code:
 * needs network access to update.code.visualstudio.com; use `npm run test:vscode` where there is
 * none). Usage: npm run build && npm run test:electron
 */
import { mkdtempSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { freePort } from '../e2e/codeServer.js';

async function main(): Promise<number> {
  const root = process.cwd();
  const ws = join(mkdtempSync(join(tmpdir(), 'cl-electron-')), 'workspace');
  mkdirSync(ws, { recursive: true });
  const results = join(ws, '.checkpoint-lens-test-results.json');
  try {
    await runTests({
      extensionDevelopmentPath: root,
      extensionTestsPath: join(root, 'test', 'out', 'vscode', 'index.js'),
      launchArgs: [ws, '--disable-extensions', '--disable-workspace-trust'],
      // As in runInCodeServer.ts: the suite's Hub stand-in listens on this port.
      extensionTestsEnv: { CHECKPOINT_LENS_TEST_RESULTS: results, HF_ENDPOINT: `http://127.0.0.1:${await freePort()}`, CHECKPOINT_LENS_CACHE_DIR: join(ws, '..', 'hub-cache'), HF_TOKEN: '', HF_TOKEN_PATH: join(ws, '..', 'no-hf-token') },
    });
  } catch (e) {
    console.error(`test:electron: ${(e as Error).message}`);
  }
  try {
    const r = JSON.parse(readFileSync(results, 'utf8')) as { failures: number; tests: { title: string; state: string; error?: string }[] };
    for (const t of r.tests) console.log(`${t.state === 'passed' ? '  ✔' : '  ✖'} ${t.title}${t.error ? `\n      ${t.error.split('\n')[0]}` : ''}`);
    return r.failures === 0 && r.tests.length > 0 ? 0 : 1;
  } catch {
    console.error(`test:electron: no results at ${results} (VS Code could not be downloaded or the suite did not run)`);
    return 1;
  }
}

main().then((c) => process.exit(c));
