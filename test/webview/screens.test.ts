/**
 * The editor in the four theme kinds VS Code has (variables captured from code-server, see
 * themes/capture.ts) at 500, 700 and 1400 px: each screenshot (test/out/screens/) is checked —
 * nothing spills out of the window sideways, the header's buttons and the filter are on screen,
 * the tree shows a usable number of rows (as many as fit), and text (finding codes, chips, rows)
 * has readable contrast against what is behind it.
 */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ViewModel } from '../../src/shared/protocol.js';
import { testOutDir } from '../helpers/screenshots.js';
import { seedModel } from './fixtures.js';
import { CHROMIUM, contrastOf, launch, onScreen, openHarness, seenRows, type WebviewTheme } from './harness.js';

const KINDS = ['light', 'dark', 'high-contrast', 'high-contrast-light'] as const;
const themeFile = (k: string) => join('test', 'webview', 'themes', `${k}.json`);
const missingTheme = KINDS.find((k) => !existsSync(themeFile(k)));
const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync('dist/webview.js') ? 'dist/webview.js missing: run npm run build' : missingTheme ? `theme ${missingTheme} not captured (test/webview/themes/capture.ts)` : false;
const WIDTHS = [500, 700, 1400] as const;
const HEIGHT = 800;

describe('the editor in four themes and three widths (Chromium)', { skip, timeout: 600_000 }, () => {
  let browser: Browser;
  let seed: ViewModel;
  before(async () => {
    browser = await launch();
    seed = (await seedModel()).model;
  });
  after(async () => {
    await browser?.close();
  });

  for (const kind of KINDS) {
    for (const width of WIDTHS) {
      it(`${kind} at ${width} px`, async () => {
        const theme = JSON.parse(readFileSync(themeFile(kind), 'utf8')) as WebviewTheme;
        const h = await openHarness(browser, { width, height: HEIGHT }, theme);
        try {
          await h.send({ type: 'model', model: seed });
          await h.page.waitForSelector('.tree .row');
          // A selected tensor, as in use: the details pane takes its share.
          await h.page.click('.tree .row >> text=cls_token');
          await h.page.waitForTimeout(100);
          await h.page.screenshot({ path: join(testOutDir('screens'), `${kind}-${width}.png`) });
          const overflow = await h.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
          assert.ok(overflow <= 1, `nothing spills sideways (${overflow} px)`);
          for (const sel of ['.summary h1', '.summary .probe-btn', '.summary .target-btn', 'vscode-textfield.filter', '.banner .finding .code', '.details h2']) {
            assert.ok(await onScreen(h.page, sel), `${sel} is on screen`);
          }
          const rowCount = await h.page.$eval('.tree', (e) => Number(e.getAttribute('aria-rowcount')));
          const fit = await h.page.evaluate(() => {
            const t = document.querySelector('.tree')!.getBoundingClientRect();
            return Math.floor((Math.min(t.bottom, window.innerHeight) - Math.max(t.top, 0)) / 22);
          });
          const seen = await seenRows(h.page);
          assert.ok(fit >= 10, `at least 10 tree rows fit in the window (${fit})`);
          assert.ok(seen.length >= Math.min(rowCount, fit), `the tree shows as many rows as fit: ${seen.length} seen, ${fit} fit, ${rowCount} rows`);
          assert.ok(seen.length <= Math.min(rowCount, fit + 1), `no stale rows: ${seen.length} seen, ${rowCount} rows`);
          for (const [sel, min] of [['.banner .finding .code', 4.5], ['.banner .finding .code code', 4.5], ['.banner .finding .msg', 4.5], ['.summary .chip', 4.5], ['.tree .row .label', 4.5], ['.tree .row .col.shape', 4.5], ['.tree .tag.badge-complete', 3], ['.tree .tag.badge-absent', 3], ['.tree .tag.repeat', 4.5]] as const) {
            const c = await contrastOf(h.page, sel);
            assert.ok(c && c.ratio >= min, `${sel}: contrast ${c?.ratio.toFixed(2)} (${c?.fg} on ${c?.bg}) ≥ ${min}`);
          }
          assert.deepEqual(await h.errors(), []);
        } finally {
          await h.close();
        }
      });
    }
  }
});
