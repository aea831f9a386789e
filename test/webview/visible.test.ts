/**
 * What a person SEES in the editor webview (issue 13): rows judged by computed style and bounding
 * box inside the tree's viewport, never by `hidden` attributes or model state.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { ViewModel } from '../../src/shared/protocol.js';
import { seedModel } from './fixtures.js';
import { CHROMIUM, launch, onScreen, openHarness, seenRows, type Harness } from './harness.js';

const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync('dist/webview.js') ? 'dist/webview.js missing: run npm run build' : false;

describe('what the editor shows (Chromium)', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let seed: ViewModel;
  before(async () => {
    browser = await launch();
    seed = (await seedModel()).model;
  });
  after(async () => {
    await browser?.close();
  });

  async function withPage(fn: (h: Harness) => Promise<void>, viewport = { width: 1400, height: 900 }): Promise<void> {
    const h = await openHarness(browser, viewport);
    try {
      await fn(h);
      assert.deepEqual(await h.cspViolations(), [], 'no CSP violations');
      assert.deepEqual(await h.errors(), [], 'no uncaught errors');
    } finally {
      await h.close();
    }
  }
  const rowCount = (h: Harness) => h.page.$eval('.tree', (e) => Number(e.getAttribute('aria-rowcount')));

  it('a shrinking tree leaves no stale rows on screen: filter, collapse all, ← on a block', async () => {
    await withPage(async (h) => {
      await h.send({ type: 'model', model: seed });
      await h.page.waitForSelector('.tree .row');
      const before = await seenRows(h.page);
      assert.ok(before.length > 15, `a screenful first (${before.length})`);
      await h.page.locator('vscode-textfield.filter input').fill('logit');
      await h.page.waitForFunction(() => document.querySelector('.toolbar .count')?.textContent === '1 match');
      await h.page.waitForTimeout(50);
      assert.deepEqual(await seenRows(h.page), ['text', 'logit_scale']);
      await h.page.locator('vscode-textfield.filter input').fill('');
      await h.page.waitForFunction(() => document.querySelector('.toolbar .count')?.textContent === '');
      await h.page.click('vscode-button[title="Collapse all"]');
      await h.page.waitForTimeout(50);
      assert.deepEqual(await seenRows(h.page), ['vision', 'text']);
      assert.equal(await rowCount(h), 2);
      await h.page.click('vscode-button[title="Expand all"]');
      // Scroll to the bottom, then collapse with ← : what is seen is what the tree holds.
      await h.page.focus('.tree');
      await h.page.keyboard.press('End');
      await h.page.keyboard.press('Home');
      await h.page.keyboard.press('ArrowLeft');
      await h.page.waitForTimeout(50);
      const seen = await seenRows(h.page);
      assert.equal(seen.length, Math.min(await rowCount(h), seen.length));
      assert.equal(seen[0], 'vision');
      assert.equal(seen.filter((l) => l === 'vision').length, 1, `one vision row: ${seen.join(',')}`);
      assert.ok(await onScreen(h.page, '.tree .row.selected'));
    });
  });
});
