/**
 * The editor's long jobs through the real worker (src/extension/worker.ts, loaded with tsx):
 * probe, compare, per-pair histogram and cancellation, and the views they produce must pass the
 * webview's validators. No VS Code needed.
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { tinyConfig, writeSyntheticClip } from '../../src/probe/syntheticCheckpoint.js';
import { isCompareState, isDiffHistogramView, isProbeState, isProbeView, isCompareView } from '../../src/shared/jobViews.js';
import { parseHostMessage, parseWebviewMessage } from '../../src/shared/protocol.js';
import { probeMarkdown } from '../../src/extension/probeMarkdown.js';
import { realWorker } from '../helpers/realWorker.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-editor-jobs-');
const base = tinyConfig();
const cfg = tinyConfig({ text: { ...base.text, vocabSize: 49408, contextLength: 77 }, vision: { ...base.vision, imageSize: 32, tokens: 17 } });
const { client, logs } = realWorker(dir);
const noOrder = { providerOrder: [], tokenizer: null, threads: 1 } as const;

test('probe job: a vision-only checkpoint comes back at chance with the text tower random, as a valid view', async () => {
  const path = join(dir, 'vision-only.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F32', omit: ['text', 'logit_scale'] });
  const progress: string[] = [];
  const out = await client.probe(path, { ...noOrder, providerOrder: ['cpu'] }, (f, m) => {
    assert.ok(f >= 0 && f <= 1);
    progress.push(m ?? '');
  }).result;
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message} ${logs.join('\n')}`);
  const p = out.probe;
  assert.ok(isProbeView(p), 'the view validates');
  assert.equal(p.verdict.code, 'at-chance');
  assert.equal(p.provider, 'cpu');
  assert.equal(p.classes, 14);
  assert.equal(p.perClass.length, 14);
  // Grouped as the tree groups them: text_projection and logit_scale are projections, not text (the text tower the probe instantiates has 12 layers: 148 tensors, not 149).
  assert.deepEqual(p.randomInitialized.map((r) => [r.tower, r.whole, r.count]), [['text', true, 148], ['projections', false, 2]]);
  assert.ok(progress.length >= 2, `progress messages: ${progress.join(' | ')}`);
  // The build reports its sub-steps (it used to sit at "building the CLIP graph (0 %)" until the session existed).
  assert.ok(progress.some((m) => /building the CLIP graph: image layer 1\/\d+/.test(m)), `image layers reported: ${progress.join(' | ')}`);
  assert.ok(progress.some((m) => /building the CLIP graph: text layer \d+\/\d+/.test(m)), 'text layers reported');
  assert.ok(progress.some((m) => /creating the ONNX Runtime session/.test(m)), 'session creation reported');
  assert.ok(parseHostMessage({ type: 'probe', state: { kind: 'done', probe: p } }), 'the host message validates');
});

test('probe job: a transformers SigLIP runs from the editor path (spiece.model beside it); without a tokenizer it says which file to add', async () => {
  const fix = join(__dirname, '..', 'fixtures', 'probe', 'siglip');
  const sdir = join(dir, 'siglip');
  mkdirSync(sdir, { recursive: true });
  for (const f of ['model.safetensors', 'config.json']) copyFileSync(join(fix, 'hf', f), join(sdir, f));
  const path = join(sdir, 'model.safetensors');
  const none = await client.probe(path, { ...noOrder, providerOrder: ['cpu'] }, () => {}).result;
  assert.ok(!none.ok);
  assert.equal(none.code, 'probe-tokenizer-missing');
  assert.match(none.message, /spiece\.model/);
  copyFileSync(join(fix, 'spiece.model'), join(sdir, 'spiece.model'));
  const progress: string[] = [];
  const out = await client.probe(path, { ...noOrder, providerOrder: ['cpu'] }, (_f, m) => progress.push(m ?? '')).result;
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message} ${logs.join('\n')}`);
  const p = out.probe;
  assert.ok(isProbeView(p), 'the view validates');
  assert.match(p.model, /sigmoid scoring/);
  assert.match(p.model, /MAP head/);
  assert.match(p.verdict.text, /Sigmoid scoring/);
  assert.match(p.tokenizer, /spiece\.model/);
  assert.deepEqual(p.randomInitialized, []);
  assert.ok(progress.some((m) => /image MAP head/.test(m)), `MAP head step reported: ${progress.join(' | ')}`);
  assert.ok(parseHostMessage({ type: 'probe', state: { kind: 'done', probe: p } }), 'the host message validates');
});

const SHARED = process.env.CHECKPOINT_LENS_SHARED ?? join(__dirname, '../../..', 'shared');
const BPE = join(SHARED, 'data/clip-bpe/bpe_simple_vocab_16e6.txt.gz');

test('probe job: the config file beside the checkpoint and the user\'s own images and labels are used, as with the CLI', { skip: !existsSync(BPE) && 'needs shared/data/clip-bpe (CHECKPOINT_LENS_SHARED)' }, async () => {
  const sub = join(dir, 'own');
  const { mkdirSync } = await import('node:fs');
  const { PNG } = await import('pngjs');
  mkdirSync(sub, { recursive: true });
  const path = join(sub, 'clip.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F32' });
  // open_clip_config.json: quick_gelu true (the built-in default for this family would be read from it, not guessed).
  writeFileSync(join(sub, 'open_clip_config.json'), JSON.stringify({ model_cfg: { quick_gelu: true, vision_cfg: { width: cfg.vision.width, head_width: cfg.vision.width / cfg.vision.heads }, text_cfg: { heads: cfg.text.heads } } }));
  const images = join(dir, 'images');
  for (const [label, shade] of [['red dog', 40], ['blue cat', 220]] as const) {
    mkdirSync(join(images, label), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const png = new PNG({ width: 8, height: 8 });
      png.data.fill(shade + i);
      writeFileSync(join(images, label, `${i}.png`), PNG.sync.write(png));
    }
  }
  const labels = join(dir, 'labels.txt');
  writeFileSync(labels, 'red dog\nblue cat\ngreen | bird\n');
  const out = await client.probe(path, { ...noOrder, tokenizer: BPE, providerOrder: ['cpu'], images: { dir: images, labelsFile: labels } }, () => {}).result;
  assert.ok(out.ok, out.ok ? '' : `${out.code}: ${out.message}`);
  const p = out.probe;
  assert.ok(isProbeView(p));
  assert.equal(p.images, 4);
  assert.equal(p.classes, 3, 'the labels file adds a distractor class');
  assert.deepEqual(p.perClass.map((c) => c.label), ['red dog', 'blue cat', 'green | bird']);
  assert.match(p.model, /open_clip_config\.json quick_gelu: true/, 'the activation comes from open_clip_config.json');
  // Copy as Markdown of this report: a table row per class, the pipe in a label escaped.
  const md = probeMarkdown(p);
  assert.match(md, /^### Zero-shot probe: `clip\.safetensors`/);
  assert.match(md, /\| green \\\| bird \| 0 \| 0 \| /);
  assert.match(md, /4 images, 3 classes/);
  assert.match(md, /open\\_clip\\_config\.json quick\\_gelu: true/);
  // A labels file that misses a folder is the CLI's error, as a value.
  writeFileSync(labels, 'red dog\n');
  const bad = await client.probe(path, { ...noOrder, tokenizer: BPE, providerOrder: ['cpu'], images: { dir: images, labelsFile: labels } }, () => {}).result;
  assert.equal(bad.ok, false);
  assert.equal(!bad.ok && bad.code, 'probe-label-missing');
});

test('probe job: an unreadable file is an error value with the reader code', async () => {
  const path = join(dir, 'junk.safetensors');
  const { writeFile } = await import('node:fs/promises');
  await writeFile(path, 'not a checkpoint');
  const out = await client.probe(path, noOrder, () => {}).result;
  assert.equal(out.ok, false);
  assert.ok(!out.ok && out.code.length > 0 && out.code !== 'internal-error', JSON.stringify(out));
});

test('compare job: a changed tensor, a dropped tensor and hostile names; histogram of the changed pair', async () => {
  const evil = '<img src=x onerror=alert(1)>.weight';
  const a = join(dir, 'a.safetensors');
  const b = join(dir, 'b.safetensors');
  const w = new Float32Array(64).map((_, i) => i / 64);
  const w2 = w.map((x, i) => (i === 3 ? x + 0.5 : x));
  const f32 = (x: Float32Array) => new Uint8Array(x.buffer.slice(0));
  await writeSafetensors(a, [
    { name: evil, dtype: 'F32', shape: [8, 8], data: f32(w) },
    { name: 'same', dtype: 'F32', shape: [4], data: f32(new Float32Array([1, 2, 3, 4])) },
    { name: 'dropped', dtype: 'F32', shape: [2], data: f32(new Float32Array([1, 2])) },
  ]);
  await writeSafetensors(b, [
    { name: evil, dtype: 'F32', shape: [8, 8], data: f32(w2) },
    { name: 'same', dtype: 'F32', shape: [4], data: f32(new Float32Array([1, 2, 3, 4])) },
  ]);
  const out = await client.compare('k1', a, b, { a: 'a.safetensors', b: 'b.safetensors' }, () => {}).result;
  assert.ok(out.ok, out.ok ? '' : out.message);
  const v = out.view;
  assert.ok(isCompareView(v));
  assert.ok(isCompareState({ kind: 'done', view: v }));
  assert.equal(v.equivalent, false);
  assert.equal(v.counts.different, 1);
  assert.equal(v.counts.identical, 1);
  assert.equal(v.counts.onlyA, 1);
  assert.equal(v.onlyA[0]!.name, 'dropped');
  assert.equal(v.worst[0]!.key, evil);
  assert.ok(Math.abs(v.worst[0]!.maxAbs! - 0.5) < 1e-6);
  const hist = await client.diffHistogram('k1', evil).result;
  assert.ok(hist.ok, hist.ok ? '' : hist.message);
  assert.ok(isDiffHistogramView(hist.histogram));
  assert.equal(hist.histogram.count, 64);
  assert.equal(hist.histogram.counts.reduce((s, c) => s + c, 0), 64);
  const missing = await client.diffHistogram('k1', 'no such pair').result;
  assert.equal(missing.ok, false);
  const gone = await client.diffHistogram('never-compared', evil).result;
  assert.ok(!gone.ok && gone.code === 'not-open');
});

test('compare job: a Git LFS pointer side is an error value naming the side', async () => {
  const { writeFile } = await import('node:fs/promises');
  const ptr = join(dir, 'pointer.safetensors');
  await writeFile(ptr, 'version https://git-lfs.github.com/spec/v1\noid sha256:' + 'a'.repeat(64) + '\nsize 123456\n');
  const a = join(dir, 'a.safetensors');
  const out = await client.compare('k2', ptr, a, { a: 'HEAD:pointer.safetensors', b: 'a.safetensors' }, () => {}).result;
  assert.ok(!out.ok);
  assert.equal(out.code, 'git-lfs-pointer');
  assert.match(out.message, /^A \(HEAD:pointer\.safetensors\)/);
});

test('cancel: a cancelled compare answers `cancelled` and the worker stays usable', async () => {
  const a = join(dir, 'big-a.safetensors');
  const b = join(dir, 'big-b.safetensors');
  const n = 4 << 20;
  const x = new Float32Array(n).map((_, i) => Math.sin(i));
  const y = x.map((v) => v + 1e-3);
  const tensors = (d: Float32Array) => Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, dtype: 'F32' as const, shape: [n], data: new Uint8Array(d.buffer) }));
  await writeSafetensors(a, tensors(x));
  await writeSafetensors(b, tensors(y));
  const job = client.compare('k3', a, b, { a: 'a', b: 'b' }, () => {});
  setTimeout(() => job.cancel(), 30);
  const out = await job.result;
  assert.ok(!out.ok && out.code === 'cancelled', JSON.stringify(out).slice(0, 300));
  const again = await client.diffHistogram('k3', 't0').result;
  assert.ok(!again.ok && again.code === 'not-open', 'a cancelled comparison keeps nothing');
});

test('cancel: a probe cancelled at once (before or while opening) answers `cancelled`', async () => {
  const path = join(dir, 'vision-only.safetensors');
  const job = client.probe(path, { ...noOrder, providerOrder: ['cpu'] }, () => {});
  job.cancel();
  const out = await job.result;
  assert.ok(!out.ok && out.code === 'cancelled', JSON.stringify(out).slice(0, 300));
});

test('protocol: job messages are validated; hostile or malformed ones are dropped', () => {
  assert.equal(parseHostMessage({ type: 'probe', state: { kind: 'running', message: 'x', fraction: 2 } }), null);
  assert.equal(parseHostMessage({ type: 'probe', state: { kind: 'done', probe: { title: 'x' } } }), null);
  assert.ok(isProbeState({ kind: 'cancelled' }));
  assert.equal(parseHostMessage({ type: 'compare', state: { kind: 'error', title: 't', code: 1, message: 'm' } }), null);
  assert.ok(parseHostMessage({ type: 'compare', state: { kind: 'error', title: 't', code: 'c', message: 'm' } }));
  assert.equal(parseHostMessage({ type: 'diffHistogram', requestId: 1, histogram: { key: 'k', edges: [0, 1], counts: [1, 2], maxAbs: 1, count: 3, nonFinite: 0 } }), null, 'edges/counts length mismatch');
  assert.deepEqual(parseWebviewMessage({ type: 'runCommand', command: 'runProbe' }), { type: 'runCommand', command: 'runProbe' });
  assert.equal(parseWebviewMessage({ type: 'runCommand', command: 'workbench.action.terminal.new' }), null, 'no arbitrary commands');
  assert.deepEqual(parseWebviewMessage({ type: 'requestDiffHistogram', requestId: 3, key: 'a', extra: 1 }), { type: 'requestDiffHistogram', requestId: 3, key: 'a' });
});
