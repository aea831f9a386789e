/**
 * The editor's first screen on a 100,000-tensor checkpoint, in real VS Code (code-server +
 * Chromium), against the CLI reading the same file in the same run (the peer: the same reader and
 * analysis without VS Code, the webview and the message transfer).
 *
 *   npm run build && node --import tsx bench/editor-first-screen.mts [tensors=100000]
 *
 * "First screen" = from Enter in Quick Open to the first tree rows visible in the webview (it may
 * still say "checking…": the analysis runs after the first screen since 2026-12-06).
 * "Checked" = until the banner shows the analysis' findings (no "checking…" any more).
 * Also prints the webview's JS heap after the first screen (Chromium's performance.memory).
 * Needs the code-server cache (npm run code-server).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Frame, Page } from 'playwright-core';
import { ensureCodeServer, launchChromium, ROOT, startCodeServer } from '../test/e2e/codeServer.js';
// @ts-expect-error plain JS helper
import { writeSparseSafetensors } from './lib.mjs';

const N = Number(process.argv[2] ?? 100_000);

/** When the webview first showed anything (its script ran: "Reading …" or the model), ms after t0. */
const marks: { webview: number; header: number } = { webview: -1, header: -1 };

async function firstRows(page: Page, t0: number, deadline: number): Promise<{ frame: Frame; rows: number; rowcount: number; heapMB: number | null } | null> {
  while (Date.now() < deadline) {
    for (const f of page.frames()) {
      if (marks.webview < 0 || marks.header < 0) {
        const seen = await f.evaluate(() => ({ any: (document.getElementById('app')?.childElementCount ?? 0) > 0, header: !!document.querySelector('.summary') })).catch(() => null);
        if (seen?.any && marks.webview < 0) marks.webview = Date.now() - t0;
        if (seen?.header && marks.header < 0) marks.header = Date.now() - t0;
      }
      const r = await f
        .evaluate(() => {
          const rows = [...document.querySelectorAll('.tree .row')].filter((e) => getComputedStyle(e).display !== 'none' && e.getBoundingClientRect().height > 0).length;
          const tree = document.querySelector('.tree');
          const mem = (performance as unknown as { memory?: { usedJSHeapSize: number } }).memory;
          return { rows, rowcount: Number(tree?.getAttribute('aria-rowcount') ?? 0), heapMB: mem ? mem.usedJSHeapSize / 1e6 : null };
        })
        .catch(() => null);
      if (r && r.rows > 0) return { frame: f, ...r };
    }
    await page.waitForTimeout(20);
  }
  return null;
}

async function main(): Promise<void> {
  const tmp = mkdtempSync(join(tmpdir(), 'cl-bench-editor-'));
  const ws = join(tmp, 'ws');
  mkdirSync(ws, { recursive: true });
  const file = join(ws, 'big.safetensors');
  const entries: [string, number[], string][] = [];
  for (let l = 0; entries.length < N; l++) for (let k = 0; k < 100 && entries.length < N; k++) entries.push([`model.layers.${l}.sub${k}.weight`, [64 + (l % 97), 16 + k], 'BF16']);
  writeSparseSafetensors(file, entries);
  // Peer: the CLI on the same file (median of 3).
  const cli: number[] = [];
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    const r = spawnSync(process.execPath, [join(ROOT, 'dist', 'cli.js'), 'inspect', file, '--json'], { encoding: 'utf8', maxBuffer: 1 << 30 });
    cli.push(performance.now() - t);
    if (r.status !== 0 && r.status !== 1 && r.status !== 2) throw new Error(`cli failed: ${r.stderr}`);
  }
  cli.sort((a, b) => a - b);
  const bin = ensureCodeServer();
  const user = join(tmp, 'user');
  mkdirSync(join(user, 'User'), { recursive: true });
  writeFileSync(join(user, 'User', 'settings.json'), JSON.stringify({ 'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true }));
  const server = await startCodeServer({ bin, folder: ws, extensionsDir: join(tmp, 'ext'), userDataDir: user, extraArgs: ['--vscode-option', 'enable-smoke-test-driver'] });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const payload = JSON.stringify([['extensionDevelopmentPath', `vscode-remote://127.0.0.1:${server.port}${ROOT}`]]);
    await page.goto(`${server.origin}/?folder=${encodeURIComponent(ws)}&payload=${encodeURIComponent(payload)}`);
    await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
    await page.waitForSelector('.explorer-folders-view .monaco-list-row', { timeout: 60_000 });
    await page.waitForTimeout(Number(process.env.BENCH_SETTLE_MS ?? 25000)); // extensions register after the workbench appears
    await page.keyboard.press('Control+P');
    await page.waitForSelector('.quick-input-widget input', { timeout: 10_000 });
    await page.keyboard.type('big.safetensors');
    await page.waitForTimeout(1500);
    const t0 = Date.now();
    await page.keyboard.press('Enter');
    const r = await firstRows(page, t0, t0 + 60_000);
    const ms = Date.now() - t0;
    let checkedMs = -1;
    for (const deadline = Date.now() + 60_000; r && Date.now() < deadline; await page.waitForTimeout(20)) {
      const done = await r.frame.evaluate(() => !!document.querySelector('.banner') && !document.querySelector('.banner-checking')).catch(() => false);
      if (done) {
        checkedMs = Date.now() - t0;
        break;
      }
    }
    if (!r) {
      await page.screenshot({ path: join(ROOT, 'bench', 'out', 'editor-first-screen-failed.png') }).catch(() => undefined);
      throw new Error('no tree rows within 120 s (screenshot in bench/out/)');
    }
    const cliMed = cli[1]!;
    console.log(`editor first screen, ${N.toLocaleString('en-US')} tensors, code-server ${process.env.CODE_SERVER_VERSION ?? '4.139.1'}: ${ms} ms (${r.rows} DOM rows for ${r.rowcount.toLocaleString('en-US')} tree rows; webview JS heap ${r.heapMB?.toFixed(0) ?? '?'} MB)`);
    console.log(`checked (the analysis' findings shown): ${checkedMs} ms; the webview's script first showed something at ${marks.webview} ms, the header at ${marks.header} ms`);
    console.log(`peer: CLI inspect --json on the same file: median ${cliMed.toFixed(0)} ms (runs ${cli.map((x) => x.toFixed(0)).join(', ')})`);
    console.log(`ratio editor / CLI: ${(ms / cliMed).toFixed(2)}×`);
    // The extension's own log (worker and webview timings), from code-server's log folder.
    const logs = spawnSync('grep', ['-rh', 'big.safetensors\\|activated', join(user, 'logs')], { encoding: 'utf8' }).stdout.trim();
    if (logs) console.log(logs.split('\n').map((l) => `  log: ${l}`).join('\n'));
  } finally {
    await browser.close();
    await server.stop();
    rmSync(tmp, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
