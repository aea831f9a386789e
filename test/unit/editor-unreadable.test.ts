/**
 * Unreadable tensors in the editor's model (issue 13 item 4): a tensor of a missing shard is "in
 * the index, shard missing" with its dtype and shape said to be unknown (never `?` / `[]`), sits
 * in its tower instead of a ghost "absent" row; a truncated file's tensors keep the dtype and
 * shape their header declares; the truncation message formats its byte counts.
 */
import assert from 'node:assert/strict';
import { mkdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { inspectDocument } from '../../src/core/summary.js';
import { readTensorBytes } from '../../src/core/values.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { analysisOverlay } from '../../src/extension/analysisOverlay.js';
import { buildViewModel, type AnalysisOverlay } from '../../src/extension/viewModel.js';
import { tinyConfig, writeSyntheticClip } from '../../src/probe/syntheticCheckpoint.js';
import { isViewModel, type ViewNode } from '../../src/shared/protocol.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-editor-unreadable-');

function leaves(nodes: readonly ViewNode[], out: ViewNode[] = []): ViewNode[] {
  for (const n of nodes) {
    if (n.tensor) out.push(n);
    leaves(n.children ?? [], out);
  }
  return out;
}

async function shardedWithTextShardMissing(): Promise<string> {
  const full = join(dir, 'full.safetensors');
  await writeSyntheticClip(full, tinyConfig(), { dtype: 'F32' });
  const r = await openCheckpoint(full);
  assert.ok(r.ok);
  const sd = join(dir, 'sharded');
  mkdirSync(sd, { recursive: true });
  const wm: Record<string, string> = {};
  const parts = [
    ['model-00001-of-00002.safetensors', r.value.tensors.filter((t) => t.name.startsWith('visual.'))],
    ['model-00002-of-00002.safetensors', r.value.tensors.filter((t) => !t.name.startsWith('visual.'))],
  ] as const;
  for (const [file, list] of parts) {
    const ts = [];
    for (const t of list) {
      ts.push({ name: t.name, dtype: t.dtype, shape: t.shape, data: (await readTensorBytes(t, 0, t.byteLength)).slice() });
      wm[t.name] = file;
    }
    await writeSafetensors(join(sd, file), ts);
  }
  writeFileSync(join(sd, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: wm }));
  unlinkSync(join(sd, 'model-00002-of-00002.safetensors'));
  return join(sd, 'model.safetensors.index.json');
}

test('a tensor of a missing shard: dtype and shape "unknown" in words, "in the index, shard missing", in its tower (no ghost "absent" row)', async () => {
  const r = await openCheckpoint(await shardedWithTextShardMissing());
  assert.ok(r.ok);
  const doc = inspectDocument(r.value);
  // The overlay as the analysis gives it when a target expects the text tower: its tensors are "missing".
  const overlay: AnalysisOverlay = {
    family: 'open_clip',
    variant: null,
    target: 'openclip:X',
    findings: [],
    findingsIncludeIntegrity: false,
    towers: [
      { name: 'vision tower', status: 'complete', tensors: doc.tensors.map((t) => t.name), missing: [] },
      { name: 'text tower', status: 'absent', tensors: [], missing: doc.unreadable.map((u) => ({ name: u.name, dtype: '', shape: [4] })) },
    ],
    marks: new Map(),
  };
  const m = buildViewModel(doc, overlay);
  assert.ok(isViewModel(m), 'the model validates (shapeUnknown is part of the protocol)');
  const text = m.roots.find((n) => n.label === 'text tower')!;
  const rows = leaves([text]);
  assert.equal(rows.length, doc.unreadable.length, 'one row per indexed tensor, no duplicate ghost');
  for (const n of rows) {
    assert.equal(n.mark, 'unreadable', n.tensor!.name);
    assert.equal(n.tensor!.dtype, 'unknown');
    assert.equal(n.tensor!.shapeUnknown, true);
    assert.match(n.note ?? '', /^in the index, shard missing: model-00002-of-00002\.safetensors is not on disk/);
  }
  assert.equal(leaves(m.roots).filter((n) => n.tensor!.dtype === '?').length, 0, 'no "?" dtype anywhere');
  assert.equal(text.missingCount ?? 0, 0, 'not counted as missing');
  assert.equal(m.roots.some((n) => n.label.includes('not in any tower')), false, 'nothing left over');
});

test('a truncated file: unreadable tensors keep their declared dtype and shape; the message formats bytes', async () => {
  const path = join(dir, 'truncated.safetensors');
  await writeSyntheticClip(path, tinyConfig(), { dtype: 'F32' });
  truncateSync(path, Math.floor(statSync(path).size * 0.6));
  const r = await openCheckpoint(path);
  assert.ok(r.ok);
  const doc = inspectDocument(r.value);
  const o = await analysisOverlay(r.value, { target: 'auto', valueCheckBudgetBytes: 1 << 20 });
  const m = buildViewModel(doc, o.ok ? o.overlay : null);
  const bad = leaves(m.roots).filter((n) => n.mark === 'unreadable');
  assert.ok(bad.length > 0);
  for (const n of bad) {
    assert.equal(n.tensor!.dtype, 'F32', n.tensor!.name);
    assert.notEqual(n.tensor!.shapeUnknown, true);
  }
  assert.ok(bad.some((n) => n.tensor!.shape.length > 0), 'declared shapes kept');
  const trunc = m.findings.find((f) => f.code === 'truncated')!;
  assert.match(trunc.message, /need \d+(\.\d+)? KiB of data \([\d,]+ bytes\) but the file holds \d+(\.\d+)? KiB \([\d,]+ bytes\); \d+ tensors are cut off/);
});
