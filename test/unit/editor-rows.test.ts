/** The windowed row protocol: the host's TreeSession and the validation of its messages. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { buildViewModel } from '../../src/extension/viewModel.js';
import { MAX_ROW_WINDOW, parseHostMessage, parseWebviewMessage } from '../../src/shared/protocol.js';
import { TreeSession } from '../../src/shared/treeRows.js';
import { bigInspectDocument } from '../webview/fixtures.js';

describe('TreeSession (host side of the windowed rows)', () => {
  const model = buildViewModel(bigInspectDocument(1000, 100), null);
  const s = new TreeSession(model);

  it('the header carries no tree, and an answer only its window', () => {
    assert.ok(!('roots' in s.header));
    assert.ok(s.header.nodeCount > 100_000);
    assert.ok(s.header.shapeChars >= '[160, 115]'.length);
    const m = s.handle(1, { kind: 'rows' }, 0, 50, -1);
    assert.equal(m.rows.length, 50);
    assert.equal(m.start, 0);
    assert.ok(m.total > 100_000);
    assert.equal(m.rows[0]!.depth, 0);
    assert.equal(m.rows[0]!.parentPos, -1);
    assert.ok(m.rows.every((r) => r.view.children === undefined));
    assert.ok(parseHostMessage(JSON.parse(JSON.stringify(m))), 'the answer validates');
    assert.ok(parseHostMessage({ type: 'model', model: s.header }));
  });

  it('the last window holds the last rows; a window past the end is clamped', () => {
    const all = s.handle(2, { kind: 'rows' }, 0, 1, -1).total;
    const m = s.handle(3, { kind: 'rows' }, all + 100, all + 140, -1);
    assert.equal(m.start, all - 40);
    assert.equal(m.rows.length, 40);
    assert.equal(m.rows.at(-1)!.path, 'model.layers.999.sub99.weight');
  });

  it('filter, collapse, expand and toggle change the visible list and its version', () => {
    const v0 = s.handle(4, { kind: 'rows' }, 0, 10, -1);
    const f = s.handle(5, { kind: 'filter', text: 'sub42.', regex: false }, 0, 10, -1);
    assert.equal(f.matches, 1000);
    assert.notEqual(f.version, v0.version);
    assert.ok(f.rows.some((r) => r.path === 'model.layers.0.sub42.weight'));
    const bad = s.handle(6, { kind: 'filter', text: '(', regex: true }, 0, 10, -1);
    assert.ok(bad.filterError);
    assert.equal(bad.matches, 1000, 'an invalid regex keeps the previous filter');
    s.handle(7, { kind: 'filter', text: '', regex: false }, 0, 10, -1);
    const c = s.handle(8, { kind: 'collapseAll' }, 0, 10, -1);
    assert.ok(c.total < 10, `collapsed: ${c.total}`);
    const top = c.rows[0]!;
    const t = s.handle(9, { kind: 'toggle', node: top.node, open: true }, 0, 10, top.node);
    assert.ok(t.total > c.total);
    assert.equal(t.rows[0]!.expanded, true);
    assert.equal(t.selectedPos, 0);
    s.handle(10, { kind: 'expandAll' }, 0, 10, -1);
  });

  it('reveal opens the ancestors (clearing a filter that hides the row) and centres the window on it; find wraps', () => {
    s.handle(11, { kind: 'collapseAll' }, 0, 10, -1);
    s.handle(12, { kind: 'filter', text: 'sub1.', regex: false }, 0, 10, -1);
    const r = s.handle(13, { kind: 'reveal', name: 'model.layers.500.sub7.weight' }, 0, 40, -1);
    assert.ok(r.focus >= 0);
    assert.equal(r.matches, null, 'the filter that hid it is off');
    const row = r.rows[r.focus - r.start]!;
    assert.equal(row.path, 'model.layers.500.sub7.weight');
    assert.ok(row.parentPos >= 0 && row.parentPos < r.focus);
    const f = s.handle(14, { kind: 'find', prefix: 'sub7', from: r.focus + 1 }, r.start, r.start + 40, row.node);
    assert.ok(f.focus >= 0);
    assert.match(f.rows[f.focus - f.start]!.view.label, /^sub7/);
    assert.equal(s.handle(15, { kind: 'find', prefix: 'zzz', from: 0 }, 0, 10, -1).focus, -1);
    assert.equal(s.handle(16, { kind: 'reveal', name: 'no.such.tensor' }, 0, 10, -1).focus, -1);
  });
});

describe('windowed row messages are validated on both sides', () => {
  it('tree requests: bounded windows, known ops only', () => {
    assert.ok(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'rows' }, start: 0, end: 40, selected: -1 }));
    assert.ok(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'find', prefix: 'ab', from: 3 }, start: 0, end: 40, selected: 5 }));
    assert.equal(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'rows' }, start: 0, end: MAX_ROW_WINDOW + 1, selected: -1 }), null);
    assert.equal(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'rows' }, start: 10, end: 5, selected: -1 }), null);
    assert.equal(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'eval' }, start: 0, end: 5, selected: -1 }), null);
    assert.equal(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'toggle', node: -1, open: true }, start: 0, end: 5, selected: -1 }), null);
    assert.equal(parseWebviewMessage({ type: 'tree', requestId: 1, op: { kind: 'rows' }, start: 0, end: 5, selected: -2 }), null);
  });

  it('rows answers: a row with children, or a model header with roots, is refused', () => {
    const s = new TreeSession(buildViewModel(bigInspectDocument(2, 3), null));
    const m = JSON.parse(JSON.stringify(s.handle(1, { kind: 'rows' }, 0, 10, -1)));
    assert.ok(parseHostMessage(m));
    assert.equal(parseHostMessage({ ...m, rows: [{ ...m.rows[0], view: { ...m.rows[0].view, children: [] } }] }), null);
    assert.equal(parseHostMessage({ ...m, rows: [{ ...m.rows[0], parentPos: -2 }] }), null);
    assert.equal(parseHostMessage({ ...m, rows: Array(MAX_ROW_WINDOW + 1).fill(m.rows[0]) }), null);
    assert.equal(parseHostMessage({ type: 'model', model: { ...s.header, roots: [] } }), null);
  });
});
