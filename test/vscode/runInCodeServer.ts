/**
 * Runs the in-host mocha suite (test/vscode/suite) inside code-server's real extension host via
 * the development payload (../shared/reference/vscode-e2e.md). The extension host's exit code does
 * not carry pass/fail, so the suite writes a results file which this driver reads.
 * Usage: node --import tsx test/vscode/runInCodeServer.ts   (after npm run build)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bounded, ensureCodeServer, freePort, launchChromium, ROOT, startCodeServer, StepError } from '../e2e/codeServer.js';

const TOTAL_MS = Number(process.env.CHECKPOINT_LENS_VSCODE_TEST_TIMEOUT_MS ?? 6 * 60_000);

async function main(): Promise<number> {
  if (!existsSync(join(ROOT, 'dist', 'extension.js'))) throw new StepError('dist/extension.js missing: run npm run build first');
  const b = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-vscode-tests.mjs')], { stdio: 'inherit' });
  if (b.status !== 0) throw new StepError('bundling the in-host suite failed');
  const bin = ensureCodeServer();
  const tmp = mkdtempSync(join(tmpdir(), 'cl-vscode-'));
  const ws = join(tmp, 'workspace');
  spawnSync('mkdir', ['-p', ws]);
  const results = join(ws, '.checkpoint-lens-test-results.json');
  // The suite's Hub stand-in listens on this loopback port; the extension host (and its worker
  // threads, which copy the environment when they start) reach it through HF_ENDPOINT, as users
  // reach a mirror. Header cache in the temp folder, not the user's ~/.cache.
  const hubEnv = { HF_ENDPOINT: `http://127.0.0.1:${await freePort()}`, CHECKPOINT_LENS_CACHE_DIR: join(tmp, 'hub-cache'), HF_TOKEN: '', HUGGING_FACE_HUB_TOKEN: '', HF_TOKEN_PATH: join(tmp, 'no-hf-token'), HF_HOME: join(tmp, 'hf-home') };
  const server = await startCodeServer({ bin, folder: ws, extensionsDir: join(tmp, 'ext'), userDataDir: join(tmp, 'user'), extraArgs: ['--vscode-option', 'enable-smoke-test-driver'], env: hubEnv });
  const browser = await launchChromium();
  try {
    const auth = `127.0.0.1:${server.port}`;
    const payload = JSON.stringify([
      ['extensionDevelopmentPath', `vscode-remote://${auth}${ROOT}`],
      ['extensionTestsPath', `vscode-remote://${auth}${join(ROOT, 'test', 'out', 'vscode', 'index.js')}`],
    ]);
    const page = await browser.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error' && /checkpoint|mocha|test/i.test(m.text())) console.error(`[workbench] ${m.text().slice(0, 500)}`);
    });
    await bounded('open the workbench', 60_000, () => page.goto(`${server.origin}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`));
    // Done when the suite wrote its results, or the extension host exited without writing them.
    const outcome = await bounded('run the in-host suite', TOTAL_MS, async () => {
      for (;;) {
        if (existsSync(results)) {
          try {
            const r = JSON.parse(readFileSync(results, 'utf8')) as { done: boolean; failures: number; tests: { title: string; state: string; error?: string; ms?: number }[] };
            if (r.done) return r;
          } catch {
            /* partially written */
          }
        }
        if (/Extension Host Process exited with code|extension host.*exited/i.test(server.log()) && !existsSync(results)) {
          await new Promise((r) => setTimeout(r, 1000));
          if (!existsSync(results)) throw new StepError(`the extension host exited without writing ${results}; log tail:\n${server.log().slice(-3000)}`);
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    });
    for (const t of outcome.tests) console.log(`${t.state === 'passed' ? '  ✔' : '  ✖'} ${t.title}${t.ms ? ` (${t.ms} ms)` : ''}${t.error ? `\n      ${t.error.split('\n').slice(0, 6).join('\n      ')}` : ''}`);
    const passed = outcome.tests.filter((t) => t.state === 'passed').length;
    console.log(`in-host suite (code-server): ${passed} passed, ${outcome.failures} failed`);
    if (outcome.tests.length === 0) throw new StepError('the in-host suite ran no tests');
    return outcome.failures === 0 ? 0 : 1;
  } finally {
    await browser.close();
    await server.stop();
    if (!process.env.CHECKPOINT_LENS_KEEP_TMP) rmSync(tmp, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (e) => {
    console.error(`test:vscode: ${e instanceof StepError ? e.message : (e as Error).stack}`);
    process.exit(1);
  },
);
