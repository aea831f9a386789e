/**
 * The details pane's first values (issue 16) in Chromium with the fake host: selecting a tensor
 * asks for its values; the answer is SEEN (computed style, box inside the window and the pane),
 * NaN/±Inf as text; an error answer shows its code and message; an answer for an earlier
 * selection is ignored; group and ghost rows ask for nothing.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { HostMessage, ViewModel } from '../../src/shared/protocol.js';
import { seedModel } from './fixtures.js';
import { CHROMIUM, launch, onScreen, type Harness, type TestHostMessage, withHarness } from './harness.js';

const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync('dist/webview.js') ? 'dist/webview.js missing: run npm run build' : false;

type Sent = { type: string; requestId?: number; name?: string };

describe('details pane: first values (Chromium)', { skip, timeout: 180_000 }, () => {
  let browser: Browser;
  let seed: ViewModel;
  before(async () => {
    browser = await launch();
    seed = (await seedModel()).model;
  });
  after(async () => {
    await browser?.close();
  });

  const withPage = (fn: (h: Harness) => Promise<void>) => withHarness(browser, fn);
  const requests = async (h: Harness) => ((await h.sent()) as Sent[]).filter((m) => m.type === 'requestValues');
  /** Texts of the value cells a person sees: displayed, box inside the window and inside the details pane. */
  const seenValues = (h: Harness) =>
    h.page.evaluate(() => {
      const pane = document.querySelector('.details')!.getBoundingClientRect();
      return Array.from(document.querySelectorAll('.details .values-grid li'))
        .filter((li) => {
          const st = getComputedStyle(li);
          const b = li.getBoundingClientRect();
          return st.display !== 'none' && st.visibility !== 'hidden' && Number(st.opacity) > 0 && b.width > 0 && b.height > 0 && b.left >= pane.left - 1 && b.right <= pane.right + 1 && b.top >= pane.top - 1 && b.bottom <= pane.bottom + 1 && b.bottom <= window.innerHeight && b.right <= window.innerWidth;
        })
        .map((li) => li.textContent ?? '');
    });

  it('selecting a tensor asks for its values and shows them, NaN/Inf as text; a stale answer is ignored', async () => {
    await withPage(async (h) => {
      await h.send({ type: 'model', model: seed } satisfies TestHostMessage);
      await h.page.waitForSelector('.tree .row');
      await h.page.click('.tree .row >> text=cls_token');
      const [first] = await requests(h);
      assert.equal(first?.name, 'cls_token');
      assert.ok(await onScreen(h.page, '.details .values-status'), 'a reading line while waiting');
      // Another tensor selected before the answer: the first answer must not be shown for it.
      await h.page.click('.tree .row >> text=pos_embed');
      const second = (await requests(h)).at(-1)!;
      assert.equal(second.name, 'pos_embed');
      assert.notEqual(second.requestId, first!.requestId);
      await h.send({ type: 'values', requestId: first!.requestId!, values: { name: 'cls_token', dtype: 'F32', dequantized: false, elementCount: 768, values: [9, 9, 9] } } satisfies TestHostMessage);
      await h.page.waitForTimeout(100);
      assert.equal(await h.page.$$eval('.details .values-grid li', (e) => e.length), 0, 'stale answer ignored');
      assert.ok(await onScreen(h.page, '.details .values-status'));

      const values = [0.015625, -1.5, 123456.789, 1e-7, 'NaN', 'Infinity', '-Infinity', 0, -0.25, 3, 2.5e9, -0.001, 0.1, 7, 8, 9] as const;
      await h.send({ type: 'values', requestId: second.requestId!, values: { name: 'pos_embed', dtype: 'Q4_K', dequantized: true, elementCount: 151296, values: [...values] } } satisfies TestHostMessage);
      await h.page.waitForSelector('.details .values-grid li');
      const seen = await seenValues(h);
      assert.deepEqual(seen, ['0.0156250', '-1.50000', '123457', '1.0000e-7', 'NaN', '+Inf', '-Inf', '0', '-0.250000', '3', '2.5000e+9', '-0.00100000', '0.100000', '7', '8', '9']);
      assert.ok(await onScreen(h.page, '.details .values-caption'));
      assert.match((await h.page.textContent('.details .values-caption')) ?? '', /First 16 values of 151,296 \(dequantised from Q4_K\)/);
      // Non-finite values stand out (warning colour, not the plain text colour).
      const colours = await h.page.$$eval('.details .values-grid li', (els) => els.map((e) => getComputedStyle(e).color));
      assert.notEqual(colours[4], colours[0]);
      assert.equal(colours[4], colours[5]);
    });
  });

  it('an error answer shows its code and message on screen; group and ghost rows ask for nothing', async () => {
    await withPage(async (h) => {
      await h.send({ type: 'model', model: seed } satisfies TestHostMessage);
      await h.page.waitForSelector('.tree .row');
      await h.page.click('.tree .row >> text=cls_token');
      const req = (await requests(h)).at(-1)!;
      await h.send({ type: 'valuesError', requestId: req.requestId!, code: 'gguf-values-not-decodable', message: 'IQ2_XXS values are not decoded yet <b>x</b>' } satisfies TestHostMessage);
      await h.page.waitForSelector('.details .values-error');
      assert.ok(await onScreen(h.page, '.details .values-error'), 'the error is visible');
      assert.match((await h.page.textContent('.details .values-error')) ?? '', /gguf-values-not-decodable: IQ2_XXS values are not decoded yet <b>x<\/b>/);
      assert.equal(await h.page.$$eval('.details b', (e) => e.length), 0, 'message is text');
      assert.equal(await h.page.$$eval('.details .values-status', (e) => e.length), 0, 'no reading line left');
      // A group row and a ghost (missing) row: no request.
      const before = (await requests(h)).length;
      await h.page.click('.tree .row >> text=vision');
      await h.page.click('.tree .row.row-missing >> nth=0');
      assert.equal((await requests(h)).length, before);
      assert.equal(await h.page.$$eval('.details .values-status, .details .values-grid', (e) => e.length), 0);
    });
  });
});
