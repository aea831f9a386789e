/**
 * Captures the `--vscode-*` variables and body classes that real VS Code (code-server) gives a
 * webview in each of the four theme kinds, from the built-in Markdown preview (any webview gets
 * the same variables). The webview tests render the editor with these, so what they check and
 * screenshot is what a user of each theme sees.
 * Run (needs the code-server cache: npm run code-server):
 *   node --import tsx test/webview/themes/capture.ts
 * Writes test/webview/themes/<kind>.json (committed).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCodeServer, launchChromium, startCodeServer } from '../../e2e/codeServer.js';

const THEMES = [
  ['dark', 'Default Dark Modern'],
  ['light', 'Default Light Modern'],
  ['high-contrast', 'Default High Contrast'],
  ['high-contrast-light', 'Default High Contrast Light'],
] as const;

async function main(): Promise<void> {
  const bin = ensureCodeServer();
  const browser = await launchChromium();
  try {
    for (const [kind, theme] of THEMES) {
      const tmp = mkdtempSync(join(tmpdir(), 'cl-theme-'));
      const ws = join(tmp, 'ws');
      const user = join(tmp, 'user');
      mkdirSync(ws, { recursive: true });
      mkdirSync(join(user, 'User'), { recursive: true });
      writeFileSync(join(ws, 'a.md'), '# theme\n');
      writeFileSync(join(user, 'User', 'settings.json'), JSON.stringify({ 'workbench.colorTheme': theme, 'workbench.startupEditor': 'none', 'chat.disableAIFeatures': true, 'window.autoDetectColorScheme': false }));
      const server = await startCodeServer({ bin, folder: ws, extensionsDir: join(tmp, 'ext'), userDataDir: user });
      try {
        const page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
        await page.goto(`${server.origin}/?folder=${encodeURIComponent(ws)}`);
        await page.waitForSelector('.monaco-workbench', { timeout: 90_000 });
        await page.waitForTimeout(5000);
        let vars: Record<string, string> | null = null;
        let bodyClass = '';
        for (let attempt = 0; attempt < 6 && !vars; attempt++) {
          await page.locator('.explorer-folders-view .monaco-list-row', { hasText: 'a.md' }).click({ timeout: 30_000 });
          await page.waitForTimeout(1500);
          const side = page.locator('.editor-actions [aria-label*="Preview"]').first();
          if (await side.count()) await side.click({ timeout: 5000 }).catch(() => undefined);
          else {
            await page.click('.monaco-editor .view-lines', { timeout: 5000 }).catch(() => undefined);
            await page.keyboard.press('Control+Shift+V');
          }
          await page.waitForTimeout(4000);
          for (const f of page.frames()) {
            const got = await f
              .evaluate(() => {
                const st = document.documentElement.style;
                const out: Record<string, string> = {};
                for (let i = 0; i < st.length; i++) {
                  const k = st.item(i);
                  if (k.startsWith('--vscode-')) out[k] = st.getPropertyValue(k).trim();
                }
                return { out, cls: document.body?.className ?? '' };
              })
              .catch(() => null);
            if (got && Object.keys(got.out).length > 50) {
              vars = got.out;
              bodyClass = got.cls;
              break;
            }
          }
        }
        if (!vars) {
          await page.screenshot({ path: join(process.cwd(), 'test', 'out', `theme-capture-failed-${kind}.png`) });
          throw new Error(`no webview variables captured for ${theme} (frames: ${page.frames().map((f) => f.url().slice(0, 80)).join(', ')})`);
        }
        const kindClass = bodyClass.split(/\s+/).filter((c) => /^vscode-(light|dark|high-contrast(-light)?)$/.test(c));
        writeFileSync(join(process.cwd(), 'test', 'webview', 'themes', `${kind}.json`), `${JSON.stringify({ theme, bodyClass: kindClass, vars }, null, 1)}\n`);
        console.log(`${kind}: ${Object.keys(vars).length} variables, body ${kindClass.join(' ')}`);
        await page.close();
      } finally {
        await server.stop();
        rmSync(tmp, { recursive: true, force: true });
      }
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
