import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildViewModel } from '../../src/extension/viewModel.js';
import { failureState } from '../../src/extension/failure.js';
import { isViewModel, parseHostMessage, parseWebviewMessage, pythonKeyAccess, type ViewNode } from '../../src/shared/protocol.js';
import { TreeModel, compileFilter } from '../../src/shared/treeModel.js';
import { bigInspectDocument, hostileModel, seedModel } from '../webview/fixtures.js';
import { contentSecurityPolicy, webviewHtml } from '../../src/extension/html.js';

function find(nodes: readonly ViewNode[], label: string): ViewNode | undefined {
  const stack = [...nodes];
  while (stack.length) {
    const n = stack.pop()!;
    if (n.label === label) return n;
    stack.push(...(n.children ?? []));
  }
  return undefined;
}

describe('editor view model', () => {
  it('builds towers with badges, ghost rows in place, and ×N for identical numbered blocks', async () => {
    const { model } = await seedModel();
    assert.ok(isViewModel(model));
    const [vision, text] = model.roots;
    assert.equal(vision?.badge, 'complete');
    assert.equal(vision?.tensorCount, 153);
    assert.equal(text?.badge, 'absent');
    assert.equal(text?.tensorCount, 0);
    assert.equal(text?.missingCount, 150);
    const blocks = find(model.roots, 'blocks');
    assert.equal(blocks?.repeat, 12);
    assert.equal(blocks?.children?.length, 12, 'every block stays reachable');
    const resblocks = find(model.roots, 'transformer.resblocks');
    assert.equal(resblocks?.repeat, 12, 'ghost blocks collapse too');
    const ghost = find(model.roots, 'token_embedding.weight');
    assert.equal(ghost?.mark, 'missing');
    assert.equal(ghost?.tensor?.name, 'token_embedding.weight');
    assert.equal(model.findings[0]?.severity, 'error');
  });

  it('does not collapse numbered blocks that differ, and numbers sort numerically', () => {
    const m = buildViewModel(bigInspectDocument(12, 2), null);
    const layers = find(m.roots, 'model.layers');
    assert.equal(layers?.repeat, undefined);
    assert.deepEqual(layers?.children?.map((c) => c.label), ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10', '11']);
  });

  it('bounds the depth of hostile dotted names', () => {
    const doc = bigInspectDocument(1, 1);
    const deep = Array.from({ length: 5000 }, (_, i) => `s${i}`).join('.');
    const m = buildViewModel({ ...doc, tensors: [{ ...doc.tensors[0]!, name: deep }] }, null);
    let depth = 0;
    let n: ViewNode | undefined = m.roots[0];
    while (n?.children?.length) {
      n = n.children[0];
      depth++;
    }
    assert.ok(depth < 40, `depth ${depth}`);
    assert.equal(n?.tensor?.name, deep);
    assert.ok(isViewModel(m));
  });

  it('keeps hostile names as data and validates messages on receipt', () => {
    const m = hostileModel();
    assert.ok(isViewModel(m));
    assert.equal(parseHostMessage({ type: 'model', model: { ...m, roots: [{ label: 'x' }] } }), null);
    assert.equal(parseHostMessage({ type: 'model', model: { ...m, tensorCount: -1 } }), null);
    assert.equal(parseHostMessage({ type: 'stats', requestId: 1, stats: { name: 'x' } }), null);
    assert.equal(parseHostMessage('<img>'), null);
    assert.deepEqual(parseWebviewMessage({ type: 'requestStats', requestId: 3, name: 'a', extra: 1 }), { type: 'requestStats', requestId: 3, name: 'a' });
    assert.equal(parseWebviewMessage({ type: 'copy', what: 'html', text: 'x' }), null);
    assert.equal(parseWebviewMessage({ type: 'runCommand', command: 'workbench.action.terminal.new' }), null);
  });

  it('copies a Python key access that round-trips quotes, backslashes and newlines', () => {
    assert.equal(pythonKeyAccess('a.b'), 'state_dict["a.b"]');
    assert.equal(pythonKeyAccess('x"]; import os #\\\n'), 'state_dict["x\\"]; import os #\\\\\\n"]');
  });

  it('classifies reader errors into deleted / truncated / unreadable', () => {
    assert.equal(failureState('file-not-found'), 'deleted');
    assert.equal(failureState('header-length-exceeds-file'), 'truncated');
    assert.equal(failureState('file-empty'), 'truncated');
    assert.equal(failureState('pickle'), 'unreadable');
  });

  it('serves a strict CSP: nonce-only scripts, no inline styles, no remote content', () => {
    const csp = contentSecurityPolicy({ cspSource: 'https://x.vscode-cdn.net', nonce: 'abc' });
    assert.match(csp, /default-src 'none'/);
    assert.match(csp, /script-src 'nonce-abc'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
    const html = webviewHtml({ cspSource: 'https://x', scriptUri: 'https://x/a.js"><script>', styleUri: 'https://x/a.css', nonce: 'abc' });
    assert.doesNotMatch(html, /a\.js"><script>/);
    assert.doesNotMatch(html, /\son[a-z]+=/i);
  });
});

describe('webview tree model', () => {
  it('flattens, expands, filters (substring/regex, per field) and reveals without recursion', () => {
    const m = new TreeModel(buildViewModel(bigInspectDocument(3, 3), null).roots);
    assert.equal(m.size, 1 + 3 + 9);
    assert.equal(m.visible().length, 13, 'default: two levels open');
    m.setAllExpanded(false);
    assert.equal(m.visible().length, 1);
    const f = compileFilter({ text: '^model\\.layers\\.1\\.sub2\\.weight$', regex: true });
    assert.ok(f.ok && f.matcher);
    assert.equal(m.setFilter(f.matcher), 1);
    assert.deepEqual([...m.visible()].map((i) => m.nodes[i]!.label), ['model.layers', '1', 'sub2.weight']);
    const g = compileFilter({ text: 'BF16', regex: false });
    assert.ok(g.ok && g.matcher);
    assert.equal(m.setFilter(g.matcher), 9);
    assert.equal(compileFilter({ text: 'a(', regex: true }).ok, false);
    m.setFilter(null);
    const i = m.findByName('model.layers.2.sub0.weight');
    m.revealNode(i);
    assert.ok([...m.visible()].includes(i));
    assert.equal(m.path[i], 'model.layers.2.sub0.weight');
  });
});

describe('editor analysis overlay (real analysis engine)', () => {
  it('shows the seed case with the text tower absent, ghost rows in target names, and findings', async () => {
    const { mkdtemp, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { writeDemoCheckpoint } = await import('../../src/demo/demoCheckpoint.js');
    const { openCheckpoint } = await import('../../src/formats/open.js');
    const { inspectDocument } = await import('../../src/core/summary.js');
    const { analysisOverlay } = await import('../../src/extension/analysisOverlay.js');
    const dir = await mkdtemp(join(tmpdir(), 'cl-overlay-'));
    try {
      const r = await openCheckpoint(await writeDemoCheckpoint(dir));
      assert.ok(r.ok);
      const o = await analysisOverlay(r.value, { target: 'auto', valueCheckBudgetBytes: 1 << 20 });
      assert.ok(o.ok && o.overlay);
      const m = buildViewModel(inspectDocument(r.value), o.overlay);
      const text = m.roots.find((n) => n.label === 'text tower');
      assert.equal(text?.badge, 'absent');
      assert.ok((text?.missingCount ?? 0) >= 140);
      assert.equal(find(m.roots, 'token_embedding.weight')?.mark, 'missing');
      assert.equal(m.findings[0]?.code, 'text-tower-missing');
      assert.equal(m.roots.reduce((a, n) => a + n.tensorCount, 0), 153, 'every file tensor is in some tower');
      const bad = await analysisOverlay(r.value, { target: 'openclip:NoSuchModel', valueCheckBudgetBytes: 0 });
      assert.equal(bad.ok, false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
