/**
 * The probe section of the checkpoint editor and the comparison panel, in headless Chromium
 * against the built bundle with a fake host: rendering, actions posted back, hostile labels and
 * tensor names as inert text (no CSP violation, no script). Skips without Chromium.
 * Also writes compare.png into test/out/screenshots (docs/screenshots when run by
 * `npm run screenshots`); the UI e2e writes probe.png from real VS Code.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import type { HostMessage, ViewModel } from '../../src/shared/protocol.js';
import { compareFixture, HOSTILE_NAMES, probeFixture, seedModel } from './fixtures.js';
import { CHROMIUM, launch, type Harness, type TestHostMessage, withHarness } from './harness.js';
import { screenshotDir } from '../helpers/screenshots.js';

const skip = !existsSync(CHROMIUM) ? `no Chromium at ${CHROMIUM}` : !existsSync('dist/webview.js') ? 'dist/webview.js missing: run npm run build' : false;

describe('probe section and comparison panel in Chromium', { skip, timeout: 120_000 }, () => {
  let browser: Browser;
  let seed: ViewModel;
  before(async () => {
    browser = await launch();
    seed = (await seedModel()).model;
  });
  after(async () => {
    await browser?.close();
  });

  const withPage = (fn: (h: Harness) => Promise<void>) =>
    withHarness(
      browser,
      async (h) => {
        await fn(h);
        assert.equal(await h.page.evaluate(() => (window as unknown as { __pwned?: unknown }).__pwned), undefined, 'no script ran');
      },
      { width: 1100, height: 900 },
    );
  const sentOf = async (h: Harness, type: string) => ((await h.sent()) as { type: string }[]).filter((m) => m.type === type);

  it('probe: Run button, progress with Cancel, then the report with a per-class chart; labels inert', async () => {
    await withPage(async (h) => {
      const extras: ViewModel = { ...seed, extras: [['epoch', '12'], ['optimizer', 'Adam: 302 state tensor(s)'], ['<img src=x onerror=window.__pwned=21>', '<b>x</b>']] };
      await h.send({ type: 'model', model: extras } satisfies TestHostMessage);
      await h.page.waitForSelector('.tree .row');
      assert.match((await h.page.textContent('.summary .other-entries')) ?? '', /Other entries in the file \(3\): epoch, optimizer, <img src=x onerror=window.__pwned=21>/);
      await h.page.click('.summary .probe-btn');
      assert.deepEqual(await sentOf(h, 'runCommand'), [{ type: 'runCommand', command: 'runProbe' }]);
      await h.send({ type: 'probe', state: { kind: 'running', message: 'building the CLIP graph from the checkpoint', fraction: 0.25 } } satisfies TestHostMessage);
      await h.page.waitForSelector('.probe-running');
      assert.match((await h.page.textContent('.probe-running')) ?? '', /building the CLIP graph.*25 %/);
      await h.page.click('.probe-cancel');
      assert.deepEqual((await sentOf(h, 'runCommand')).at(-1), { type: 'runCommand', command: 'cancelProbe' });
      await h.send({ type: 'probe', state: { kind: 'done', probe: probeFixture() } } satisfies TestHostMessage);
      await h.page.waitForSelector('.probe-report');
      const text = (await h.page.textContent('.probe')) ?? '';
      assert.match(text, /At chance/);
      assert.match(text, /top-1 0\.0 %/);
      assert.match(text, /top-5 28\.6 %/);
      assert.match(text, /chance 7\.1 %/);
      assert.match(text, /text tower \(149 tensors\)/);
      assert.match(text, /Probe set: built-in probe set \(colour fields, shapes, patterns; generated, no download\) — 42 images, 14 classes\./, 'the report names its image set');
      assert.match(text, /Provider cpu/);
      assert.match(text, /<script>window.__pwned=20<\/script>/, 'verdict text shown as text');
      assert.equal(await h.page.$$eval('.accuracy-chart .class-row', (e) => e.length), 14, 'one bar per class');
      assert.equal(await h.page.$$eval('.accuracy-chart .chance-line', (e) => e.length), 1);
      const labels = await h.page.$$eval('.accuracy-chart .class-label', (e) => e.map((x) => x.textContent));
      assert.equal(labels[13], HOSTILE_NAMES[0], 'hostile label rendered as SVG text');
      assert.equal(await h.page.$$eval('#app img, #app script, #app iframe, .accuracy-chart svg', (e) => e.length), 0, 'no elements from data');
      // Copy as Markdown and My Images… are on screen (box inside the viewport) and post their commands.
      for (const [sel, command] of [['.probe-copy-markdown', 'copyProbeMarkdown'], ['.probe-images', 'runProbeWithImages']] as const) {
        const box = await h.page.locator(sel).boundingBox();
        const vp = h.page.viewportSize()!;
        assert.ok(box && box.width > 20 && box.height > 10 && box.x >= 0 && box.x + box.width <= vp.width && box.y >= 0, `${sel} visible: ${JSON.stringify(box)}`);
        assert.match((await h.page.locator(sel).innerText()).trim(), sel === '.probe-images' ? /My Images…/ : /Copy as Markdown/);
        await h.page.click(sel);
        assert.deepEqual((await sentOf(h, 'runCommand')).at(-1), { type: 'runCommand', command });
      }
      const widths = await h.page.$$eval('.accuracy-chart .bar', (e) => e.map((x) => Number(x.getAttribute('width'))));
      assert.ok(widths[2]! > 80 && widths[0] === 0, `bar widths ${widths.join(',')}`);
      // The probe state survives a reload of the model (same editor).
      await h.send({ type: 'model', model: extras } satisfies TestHostMessage);
      await h.page.waitForSelector('.probe-report');
      await h.send({ type: 'probe', state: { kind: 'error', code: 'probe-unsupported-architecture', message: '<img src=x onerror=window.__pwned=22>' } } satisfies TestHostMessage);
      assert.match((await h.page.textContent('.probe-error')) ?? '', /probe-unsupported-architecture: <img/);
      await h.send({ type: 'probe', state: { kind: 'running', message: 'x', fraction: 7 } });
      assert.ok(await h.page.$('.probe-error'), 'a malformed state is dropped');
    });
  });

  it('comparison panel: verdict, tower table, worst pairs, histogram on selection; hostile names inert', async () => {
    await withPage(async (h) => {
      await h.send({ type: 'compare', state: { kind: 'running', title: 'a ↔ b', message: '1 / 2 pairs', fraction: 0.5 } } satisfies TestHostMessage);
      await h.page.waitForSelector('.compare .state.loading');
      const view = compareFixture();
      await h.send({ type: 'compare', state: { kind: 'done', view } } satisfies TestHostMessage);
      await h.page.waitForSelector('.compare-verdict');
      const verdict = (await h.page.textContent('.compare-verdict')) ?? '';
      assert.equal(verdict, `DIFFERENT: B changes ${HOSTILE_NAMES[0]} beyond tolerance; ${HOSTILE_NAMES[2]} dropped.`);
      assert.equal(await h.page.$$eval('.compare-verdict code', (e) => e.length), 2, 'names set as code');
      assert.equal(await h.page.$$eval('.tower-table tbody tr', (e) => e.length), 1);
      assert.equal(await h.page.$$eval('.worst-table tbody tr', (e) => e.length), 2);
      assert.match((await h.page.textContent('.compare')) ?? '', /HEAD:models\/model\.safetensors/);
      await h.page.click('.worst-table tbody tr:first-child');
      const req = (await sentOf(h, 'requestDiffHistogram')) as unknown as { requestId: number; key: string }[];
      assert.equal(req.length, 1);
      assert.equal(req[0]!.key, HOSTILE_NAMES[0]);
      await h.page.waitForSelector('.diff-histogram vscode-progress-ring');
      const counts = Array.from({ length: 64 }, (_, i) => (i === 32 ? 63 : i === 63 ? 1 : 0));
      const edges = Array.from({ length: 65 }, (_, i) => -0.5 + i / 64);
      await h.send({ type: 'diffHistogram', requestId: req[0]!.requestId, histogram: { key: HOSTILE_NAMES[0]!, edges, counts, maxAbs: 0.5, count: 64, nonFinite: 0 } } satisfies TestHostMessage);
      await h.page.waitForSelector('.diff-histogram canvas.histogram');
      assert.match((await h.page.textContent('.diff-histogram')) ?? '', /64 elements, max \|b − a\| = 0\.50000/);
      // A stale answer (another request id) is ignored.
      await h.send({ type: 'diffHistogramError', requestId: 999, code: 'x', message: 'stale' });
      assert.doesNotMatch((await h.page.textContent('.diff-histogram')) ?? '', /stale/);
      await h.page.waitForTimeout(100);
      await h.page.screenshot({ path: join(screenshotDir(), 'compare.png'), fullPage: true });
      await h.send({ type: 'compare', state: { kind: 'error', title: 'HEAD:m.safetensors ↔ m.safetensors', code: 'git-lfs-pointer', message: 'A (HEAD:m.safetensors): this is a Git LFS pointer' } } satisfies TestHostMessage);
      assert.match((await h.page.textContent('.compare .failure')) ?? '', /git-lfs-pointer: A \(HEAD:m\.safetensors\)/);
    });
  });
});
