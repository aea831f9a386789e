import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Checkpoint, TensorInfo } from '../../src/core/checkpoint.js';
import { decodeToFloat32 } from '../../src/core/decode.js';
import { encodeFloats } from '../../src/core/encode.js';
import { readTensorBytes } from '../../src/core/values.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { runConvert } from '../../src/cli/commands/convert.js';
import { runDiff } from '../../src/cli/commands/diff.js';
import { convertCheckpoint } from '../../src/convert/convert.js';
import { transposeChunks } from '../../src/convert/stream.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { toCanonical } from '../../src/layouts/canonical.js';
import { runProbe } from '../../src/probe/probe.js';
import { tinyConfig, writeSyntheticClip } from '../../src/probe/syntheticCheckpoint.js';
import { clipTensorSpecs, tinyClipConfig, writeClipFixture } from '../helpers/clipFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir('ckl-convert-');
const MAIN = join(__dirname, '../../src/cli/main.ts');

async function open(p: string): Promise<Checkpoint> {
  const r = await openCheckpoint(p);
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.value;
}

async function bytesOf(t: TensorInfo): Promise<Buffer> {
  return Buffer.from(await readTensorBytes(t, 0, t.byteLength));
}

/** name → raw bytes of every tensor. */
async function allBytes(p: string): Promise<Map<string, { dtype: string; shape: readonly number[]; bytes: Buffer }>> {
  const ck = await open(p);
  const out = new Map<string, { dtype: string; shape: readonly number[]; bytes: Buffer }>();
  for (const t of ck.tensors) out.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: await bytesOf(t) });
  return out;
}

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runConvert(args, { out: (s) => (out += s), err: (s) => (err += s) });
  return { code, out, err };
}

const sub = (name: string) => {
  const d = join(dir, name);
  mkdirSync(d, { recursive: true });
  return d;
};

test('open_clip → transformers → open_clip is value-identical, with q/k/v split, projections transposed, config.json written', async () => {
  const d = sub('rt1');
  const src = await writeClipFixture(d, 'oc.safetensors', clipTensorSpecs('openai-clip', tinyClipConfig()), { values: 'trained' });
  const a = await cli([src, '--to', 'hf', '-o', join(d, 'hf')]);
  assert.equal(a.code, 0, a.err);
  assert.match(a.out, /complete for the target; \d+ values spot-checked against the sources, 0 differ/);
  const hf = await allBytes(join(d, 'hf', 'model.safetensors'));
  const orig = await allBytes(src);
  // HF names, split q/k/v: rows 0..D of in_proj_weight.
  const inProj = orig.get('visual.transformer.resblocks.1.attn.in_proj_weight')!;
  const D = 32;
  for (const [p, part] of ['q', 'k', 'v'].entries()) {
    const got = hf.get(`vision_model.encoder.layers.1.self_attn.${part}_proj.weight`)!;
    assert.deepEqual(got.shape, [D, D]);
    assert.ok(got.bytes.equals(inProj.bytes.subarray(p * D * D * 4, (p + 1) * D * D * 4)), `${part} is its third of in_proj_weight`);
  }
  // visual_projection.weight = visual.proj transposed.
  const proj = decodeToFloat32('F32', orig.get('visual.proj')!.bytes);
  const vp = decodeToFloat32('F32', hf.get('visual_projection.weight')!.bytes);
  assert.deepEqual(hf.get('visual_projection.weight')!.shape, [16, 32]);
  for (let i = 0; i < 32; i++) for (let j = 0; j < 16; j++) assert.equal(vp[j * 32 + i], proj[i * 16 + j]);
  const cfg = JSON.parse(readFileSync(join(d, 'hf', 'config.json'), 'utf8')) as { model_type: string; projection_dim: number; vision_config: { hidden_size: number; num_hidden_layers: number; patch_size: number; image_size: number } };
  assert.equal(cfg.model_type, 'clip');
  assert.equal(cfg.projection_dim, 16);
  assert.deepEqual([cfg.vision_config.hidden_size, cfg.vision_config.num_hidden_layers, cfg.vision_config.patch_size, cfg.vision_config.image_size], [32, 2, 8, 32]);

  const b = await cli([join(d, 'hf', 'model.safetensors'), '--to', 'openclip', '-o', join(d, 'back.safetensors')]);
  assert.equal(b.code, 0, b.err);
  const back = await allBytes(join(d, 'back.safetensors'));
  assert.deepEqual([...back.keys()].sort(), [...orig.keys()].sort());
  for (const [n, t] of orig) {
    assert.equal(back.get(n)!.dtype, t.dtype, n);
    assert.deepEqual(back.get(n)!.shape, t.shape, n);
    assert.ok(back.get(n)!.bytes.equals(t.bytes), `${n} is bit-identical after the round trip`);
  }
  // diff agrees: identical after mapping.
  let diffOut = '';
  const code = await runDiff([src, join(d, 'hf', 'model.safetensors'), '--json'], { out: (s) => (diffOut += s), err: () => undefined });
  assert.equal(code, 0, diffOut.slice(0, 400));
  assert.equal(readdirSync(d).filter((f) => f.endsWith('.tmp')).length, 0, 'no temporary files left');
});

test('open_clip → timm image tower is value-identical; transformers → timm too; timm says what it drops', async () => {
  const d = sub('timm');
  const src = await writeClipFixture(d, 'oc.safetensors', clipTensorSpecs('openai-clip', tinyClipConfig()), { values: 'trained' });
  const r = await cli([src, '--to', 'timm', '-o', join(d, 'timm.safetensors'), '--json']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as { dropped: { tower: string; count: number }[]; operations: Record<string, number> };
  assert.deepEqual(rep.dropped.map((x) => [x.tower, x.count]).sort(), [
    ['projection', 2],
    ['text', 28],
  ]);
  assert.equal(rep.operations.zeros, 1, 'head.bias');
  const timm = await allBytes(join(d, 'timm.safetensors'));
  const orig = await allBytes(src);
  assert.deepEqual(timm.get('cls_token')!.shape, [1, 1, 32]);
  assert.ok(timm.get('cls_token')!.bytes.equals(orig.get('visual.class_embedding')!.bytes));
  assert.ok(timm.get('blocks.0.attn.qkv.weight')!.bytes.equals(orig.get('visual.transformer.resblocks.0.attn.in_proj_weight')!.bytes));
  assert.ok(timm.get('head.bias')!.bytes.every((b) => b === 0));
  // Back to open_clip (image tower only): every image-side tensor bit-identical.
  const back = await cli([join(d, 'timm.safetensors'), '--to', 'openclip', '-o', join(d, 'back.safetensors'), '--allow-missing', 'text,projection,logit_scale']);
  assert.equal(back.code, 0, back.err);
  const b = await allBytes(join(d, 'back.safetensors'));
  const visionNames = [...orig.keys()].filter((n) => n.startsWith('visual.'));
  assert.deepEqual([...b.keys()].sort(), visionNames.sort());
  for (const n of visionNames) assert.ok(b.get(n)!.bytes.equals(orig.get(n)!.bytes), n);
  // transformers → timm: the projection is transposed twice (a plain copy).
  assert.equal((await cli([src, '--to', 'hf', '-o', join(d, 'hf')])).code, 0);
  const t2 = await cli([join(d, 'hf', 'model.safetensors'), '--to', 'timm', '-o', join(d, 'timm2.safetensors')]);
  assert.equal(t2.code, 0, t2.err);
  const timm2 = await allBytes(join(d, 'timm2.safetensors'));
  for (const [n, t] of timm) assert.ok(timm2.get(n)!.bytes.equals(t.bytes), n);
});

test('provenance in __metadata__; --dtype casts (and only then); values otherwise bit-identical', async () => {
  const d = sub('meta');
  const src = await writeClipFixture(d, 'oc.safetensors', clipTensorSpecs('openai-clip', tinyClipConfig()), { values: 'trained' });
  const inDir = await cli([src, '--to', 'hf', '-o', join(d, 'a.safetensors')]);
  assert.equal(inDir.code, 2, 'config.json would land beside the input');
  assert.match(inDir.err, /convert-output-conflict/);
  assert.equal((await cli([src, '--to', 'hf', '-o', join(d, 'a', 'a.safetensors')])).code, 0);
  const a = await open(join(d, 'a', 'a.safetensors'));
  assert.equal(a.metadata.format, 'pt');
  assert.match(a.metadata['checkpoint_lens.tool']!, /^checkpoint-lens /);
  const tr = JSON.parse(a.metadata['checkpoint_lens.transforms']!) as Record<string, string>;
  assert.equal(tr['visual_projection.weight'], 'in:visual.proj transposed');
  assert.equal(tr['text_model.encoder.layers.0.self_attn.k_proj.weight'], 'in:transformer.resblocks.0.attn.in_proj_weight rows 32..64 (k)');
  assert.deepEqual(JSON.parse(a.metadata['checkpoint_lens.sources']!), [{ label: 'in', file: 'oc.safetensors', family: 'openai-clip' }]);

  const r = await cli([src, '--to', 'hf', '-o', join(d, 'b', 'b.safetensors'), '--dtype', 'BF16']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /cast F32→BF16 78/);
  assert.match(r.out, /from_pretrained\(dir\) looks for model\.safetensors/);
  const b = await open(join(d, 'b', 'b.safetensors'));
  const orig = await open(src);
  const q = b.tensors.find((t) => t.name === 'vision_model.encoder.layers.0.self_attn.q_proj.weight')!;
  assert.equal(q.dtype, 'BF16');
  const w = orig.tensors.find((t) => t.name === 'visual.transformer.resblocks.0.attn.in_proj_weight')!;
  const want = encodeFloats(decodeToFloat32('F32', await readTensorBytes(w, 0, 32 * 32 * 4)), 'BF16');
  assert.ok(Buffer.from(want).equals(await bytesOf(q)), 'cast = round-to-nearest-even of the source values');
  const tr2 = JSON.parse(b.metadata['checkpoint_lens.transforms']!) as Record<string, string>;
  assert.match(tr2['logit_scale']!, /cast F32→BF16$/);
});

test('banded transpose equals the plain transpose for every band size', async () => {
  const d = sub('band');
  const rows = 5;
  const cols = 7;
  const v = new Float32Array(rows * cols).map((_, i) => i + 0.5);
  const p = join(d, 't.safetensors');
  await writeSafetensors(p, [{ name: 'x', dtype: 'F32', shape: [rows, cols], data: new Uint8Array(v.buffer) }]);
  const t = (await open(p)).tensors[0]!;
  for (const bandBytes of [1, rows * 4, rows * 4 * 3, 1 << 20]) {
    const parts: number[] = [];
    for await (const c of transposeChunks(t, rows, cols, { bandBytes, chunkBytes: 64 })) parts.push(...decodeToFloat32('F32', c.slice()));
    const want: number[] = [];
    for (let j = 0; j < cols; j++) for (let i = 0; i < rows; i++) want.push(v[i * cols + j]!);
    assert.deepEqual(parts, want, `band ${bandBytes}`);
  }
});

// Tiny towers, but the real CLIP vocabulary and context so the built-in prompts fit.
const base = tinyConfig();
const pcfg = tinyConfig({ text: { ...base.text, vocabSize: 49408, contextLength: 77 }, vision: { ...base.vision, imageSize: 32, tokens: 17 } });

async function probeLogits(p: string): Promise<Float32Array> {
  const r = await runProbe(await open(p), { provider: 'cpu', cacheDir: join(dir, 'probe-cache'), keepTensors: true });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  return r.tensors!.logitsPerImage;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test("the probe's logits on converted files equal the original's (≤ 1e-5)", async () => {
  const d = sub('probe');
  const src = join(d, 'full.safetensors');
  await writeSyntheticClip(src, pcfg, { dtype: 'F32' });
  const ref = await probeLogits(src);
  assert.equal((await cli([src, '--to', 'hf', '-o', join(d, 'hf')])).code, 0);
  const hf = await probeLogits(join(d, 'hf', 'model.safetensors'));
  assert.ok(maxAbsDiff(ref, hf) <= 1e-5, `hf ${maxAbsDiff(ref, hf)}`);
  assert.equal((await cli([join(d, 'hf', 'model.safetensors'), '--to', 'openclip', '-o', join(d, 'oc')])).code, 0);
  const oc = await probeLogits(join(d, 'oc', 'open_clip_model.safetensors'));
  assert.ok(maxAbsDiff(ref, oc) <= 1e-5, `openclip ${maxAbsDiff(ref, oc)}`);
});

test('a vision-only file grafted with a donor text tower, projection and logit_scale: complete, and the probe scores what the complete model scores', async () => {
  const d = sub('graft');
  const full = join(d, 'full.safetensors');
  await writeSyntheticClip(full, pcfg, { dtype: 'F32' });
  const visionOnly = join(d, 'vision.safetensors');
  await writeSyntheticClip(visionOnly, pcfg, { dtype: 'F32', omit: ['text', 'logit_scale'] });
  // The donor in another layout (transformers): any layout may donate.
  mkdirSync(join(d, 'donor'));
  assert.equal((await cli([full, '--to', 'hf', '-o', join(d, 'donor')])).code, 0);
  const incomplete = await cli([visionOnly, '--to', 'openclip', '-o', join(d, 'x.safetensors')]);
  assert.equal(incomplete.code, 2);
  assert.match(incomplete.err, /convert-incomplete/);
  assert.match(incomplete.err, /transformer\.resblocks\.0\.attn\.in_proj_weight \[48, 16\] \(text\)$/m);
  assert.match(incomplete.err, /No source holds the text tower at all/);
  assert.match(incomplete.err, /--allow-missing text,projection,logit_scale to write/);
  assert.ok(!existsSync(join(d, 'x.safetensors')));

  const r = await cli([visionOnly, '--to', 'openclip', '-o', join(d, 'out', 'grafted.safetensors'), '--fill-from', join(d, 'donor', 'model.safetensors'), '--json']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as { byTower: Record<string, { from: Record<string, number> }> };
  assert.deepEqual(rep.byTower.text!.from, { donor1: 28 });
  assert.deepEqual(rep.byTower.vision!.from, { in: 31 });
  const ref = await probeLogits(full);
  const g = await probeLogits(join(d, 'out', 'grafted.safetensors'));
  assert.ok(maxAbsDiff(ref, g) <= 1e-5, `grafted ${maxAbsDiff(ref, g)}`);
  // diff: the grafted file equals the donor after mapping (the donor holds the same model).
  let diffOut = '';
  assert.equal(await runDiff([join(d, 'out', 'grafted.safetensors'), join(d, 'donor', 'model.safetensors')], { out: (s) => (diffOut += s), err: () => undefined }), 0, diffOut.slice(0, 400));
});

test('real-shaped ViT-B/16: vision-only open_clip + a transformers donor inspects as complete', async () => {
  const d = sub('graft-b16');
  const vision = await writeClipFixture(d, 'vision.safetensors', clipTensorSpecs('openai-clip', 'ViT-B-16', { vision: true }));
  // The config beside the input says what shapes cannot: QuickGELU (and the head width).
  writeFileSync(join(d, 'open_clip_config.json'), JSON.stringify({ model_cfg: { embed_dim: 512, quick_gelu: true, vision_cfg: { image_size: 224, layers: 12, width: 768, patch_size: 16 }, text_cfg: { context_length: 77, vocab_size: 49408, width: 512, heads: 8, layers: 12 } } }));
  mkdirSync(join(d, 'donor'));
  await writeClipFixture(join(d, 'donor'), 'model.safetensors', clipTensorSpecs('hf-clip', 'ViT-B-16'));
  const before = await analyzeCheckpoint(await open(vision), { valueBudgetBytes: 0 });
  assert.ok(before.ok);
  assert.ok(before.value.findings.some((f) => f.code === 'text-tower-missing'));
  const r = await cli([vision, '--to', 'openclip', '-o', join(d, 'out'), '--fill-from', join(d, 'donor', 'model.safetensors')]);
  assert.equal(r.code, 0, r.err);
  const out = join(d, 'out', 'open_clip_model.safetensors');
  const a = await analyzeCheckpoint(await open(out), { valueBudgetBytes: 0 });
  assert.ok(a.ok);
  assert.equal(a.value.architecture.variant, 'ViT-B-16');
  assert.deepEqual(a.value.missing, []);
  assert.deepEqual(a.value.unexpected, []);
  for (const t of a.value.towers) if (t.expected) assert.equal(t.status, 'complete', t.id);
  assert.ok(!a.value.findings.some((f) => /missing/.test(f.code)), a.value.findings.map((f) => f.code).join(', '));
  // The named configuration is known: open_clip_config.json is written with its head counts.
  const oc = JSON.parse(readFileSync(join(d, 'out', 'open_clip_config.json'), 'utf8')) as { model_cfg: { quick_gelu: boolean; text_cfg: { heads: number }; vision_cfg: { head_width: number } } };
  assert.equal(oc.model_cfg.text_cfg.heads, 8);
  assert.equal(oc.model_cfg.quick_gelu, true);
  assert.equal(oc.model_cfg.vision_cfg.head_width, 64);
});

test('incompatible donors, malformed inputs, clashing outputs: exit 2 and no output file', async () => {
  const d = sub('bad');
  const cfg = tinyClipConfig();
  const vision = await writeClipFixture(d, 'vision.safetensors', clipTensorSpecs('openai-clip', cfg, { vision: true }), { values: 'trained' });
  // Other widths (an image tower twice as wide): not the same architecture.
  const wide = { ...cfg, vision: { ...cfg.vision, width: 64, mlp: 256 } };
  const wideDonor = await writeClipFixture(sub('bad/wide'), 'model.safetensors', clipTensorSpecs('hf-clip', wide), { values: 'trained' });
  // Another embedding width: its text projection cannot meet this image projection.
  const otherE = await writeClipFixture(sub('bad/e'), 'model.safetensors', clipTensorSpecs('openai-clip', { ...cfg, embedDim: 24 }, { text: true, logitScale: true }), { values: 'trained' });
  // Another family: not a CLIP checkpoint at all.
  const notClip = join(d, 'llm.safetensors');
  await writeSafetensors(notClip, [{ name: 'model.layers.0.self_attn.q_proj.weight', dtype: 'F32', shape: [4, 4], data: new Uint8Array(64) }]);
  const garbage = join(d, 'garbage.safetensors');
  writeFileSync(garbage, Buffer.from('this is not a safetensors file at all'));
  const cases: [string[], RegExp][] = [
    [[vision, '--fill-from', wideDonor], /convert-donor-incompatible.*vision\.width: input 32, donor 64/],
    [[vision, '--fill-from', otherE], /convert-donor-incompatible.*embedDim: input 16, donor 24/],
    [[vision, '--fill-from', notClip], /convert-donor-not-clip/],
    [[vision, '--fill-from', garbage], /convert-donor-unreadable/],
    [[garbage], /convert-input-unreadable/],
    [[notClip], /convert-not-clip/],
    [[join(d, 'absent.safetensors')], /convert-input-unreadable/],
  ];
  for (const [args, re] of cases) {
    const out = join(d, 'out.safetensors');
    const r = await cli([...args, '--to', 'openclip', '-o', out]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, re);
    assert.ok(!existsSync(out), 'no output file');
  }
  assert.equal((await cli([vision, '--to', 'hf', '-o', vision, '--allow-missing', 'text'])).code, 2);
  const same = await cli([vision, '--to', 'openclip', '-o', vision, '--allow-missing', 'text,projection,logit_scale', '--force']);
  assert.equal(same.code, 2);
  assert.match(same.err, /convert-output-is-input/);
  const usage = await cli([vision, '--to', 'onnx', '-o', join(d, 'x')]);
  assert.equal(usage.code, 2);
  assert.match(usage.err, /convert-usage/);
  assert.match((await cli([vision, '--to', 'hf', '-o', join(d, 'y'), '--allow-missing', 'eyes'])).err, /unknown tower "eyes"/);
  assert.deepEqual(readdirSync(d).filter((f) => f.endsWith('.tmp')), []);
});

test('an interrupted write leaves nothing behind (in-process abort and SIGINT to the CLI)', async () => {
  const d = sub('abort');
  const src = await writeClipFixture(d, 'oc.safetensors', clipTensorSpecs('openai-clip', tinyClipConfig()), { values: 'trained' });
  const out = sub('abort/out');
  const ac = new AbortController();
  const r = await convertCheckpoint({ input: src, to: 'hf', output: out }, { signal: ac.signal, onProgress: (p) => p.tensorsDone === 10 && ac.abort() });
  assert.equal(r.ok, false);
  assert.equal(!r.ok && r.error.code, 'convert-interrupted');
  assert.deepEqual(readdirSync(out), []);
  // Folders the run created for its output are removed again.
  const ac2 = new AbortController();
  const r2 = await convertCheckpoint({ input: src, to: 'hf', output: join(d, 'new', 'deeper') }, { signal: ac2.signal, onProgress: (p) => p.tensorsDone === 5 && ac2.abort() });
  assert.equal(!r2.ok && r2.error.code, 'convert-interrupted');
  assert.ok(!existsSync(join(d, 'new')), 'no empty folder left behind');

  // A real-sized (sparse) ViT-B/16 takes long enough to interrupt mid-write.
  const big = await writeClipFixture(d, 'b16.safetensors', clipTensorSpecs('openai-clip', 'ViT-B-16'));
  const out2 = sub('abort/out2');
  const child = spawn(process.execPath, ['--import', 'tsx', MAIN, 'convert', big, '--to', 'hf', '-o', out2], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  const code = await new Promise<number | null>((resolve) => {
    const poll = setInterval(() => {
      if (readdirSync(out2).some((f) => f.endsWith('.tmp'))) {
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 5);
    child.on('exit', (c) => {
      clearInterval(poll);
      resolve(c);
    });
  });
  assert.equal(code, 2, stderr);
  assert.match(stderr, /convert-interrupted/);
  assert.deepEqual(readdirSync(out2), [], 'no output and no temporary file');
});

test('--allow-missing writes an incomplete file and says so; an existing output needs --force', async () => {
  const d = sub('allow');
  const vision = await writeClipFixture(d, 'vision.safetensors', clipTensorSpecs('openai-clip', tinyClipConfig(), { vision: true }), { values: 'trained' });
  const r = await cli([vision, '--to', 'hf', '-o', join(d, 'hf'), '--allow-missing', 'text,projection,logit_scale']);
  assert.equal(r.code, 0, r.err);
  assert.match(r.out, /Left out \(--allow-missing\): 1 tensor: logit_scale/);
  assert.doesNotMatch(r.out, /text \d+ wide/);
  const cfg = JSON.parse(readFileSync(join(d, 'hf', 'config.json'), 'utf8')) as { architectures: string[] };
  assert.deepEqual(cfg.architectures, ['CLIPVisionModelWithProjection']);
  const again = await cli([vision, '--to', 'hf', '-o', join(d, 'hf'), '--allow-missing', 'text,projection,logit_scale']);
  assert.equal(again.code, 2);
  assert.match(again.err, /convert-output-exists/);
  assert.equal((await cli([vision, '--to', 'hf', '-o', join(d, 'hf'), '--allow-missing', 'text,projection,logit_scale', '--force'])).code, 0);
  const view = toCanonical((await open(join(d, 'hf', 'model.safetensors'))).tensors);
  assert.equal(view.family, 'hf-clip');
  assert.ok(view.tensors.has('visual.proj'));
});

test('editor glue decisions: completion keeps the layout (timm → open_clip), conversions offer the other layouts, output folders beside the input', async () => {
  const { completionTarget, conversionTargets, outputFolderFor, COMPLETABLE_FINDINGS } = await import('../../src/convert/suggest.js');
  assert.equal(completionTarget('hf-clip'), 'hf');
  assert.equal(completionTarget('timm-vit'), 'openclip');
  assert.equal(completionTarget('openclip-custom-text'), 'openclip');
  assert.deepEqual(conversionTargets('hf-clip'), ['openclip', 'timm']);
  assert.deepEqual(conversionTargets('timm-vit'), ['openclip', 'hf']);
  assert.deepEqual(conversionTargets('openai-clip'), ['hf', 'timm']);
  const taken = new Set(['/m/vision-openclip', '/m/vision-openclip-2']);
  assert.equal(outputFolderFor('/m/vision.safetensors', 'openclip', (p) => taken.has(p)), '/m/vision-openclip-3');
  assert.equal(outputFolderFor('/m/model.safetensors.index.json', 'hf', () => false), '/m/model-hf');
  assert.deepEqual([...COMPLETABLE_FINDINGS].sort(), ['logit-scale-missing', 'projection-missing', 'text-tower-missing', 'vision-tower-missing']);
  // Each of those codes is one the analysis really emits.
  const findings = readFileSync(join(__dirname, '../../src/analysis/findings.ts'), 'utf8');
  for (const c of COMPLETABLE_FINDINGS) assert.ok(findings.includes(`'${c}'`), c);
});

test('a PyTorch input (strided views: a transposed visual.proj, in_proj_weight at a storage offset) converts bit-identically', async () => {
  const d = sub('pt');
  const pt = join(__dirname, '../fixtures/convert/tiny_openclip.pt');
  const a = await cli([pt, '--to', 'hf', '-o', join(d, 'hf')]);
  assert.equal(a.code, 0, a.err);
  const b = await cli([join(d, 'hf', 'model.safetensors'), '--to', 'openclip', '-o', join(d, 'oc', 'x.safetensors')]);
  assert.equal(b.code, 0, b.err);
  const src = await open(pt);
  const proj = src.tensors.find((t) => t.name === 'visual.proj')!;
  assert.equal(proj.data.kind, 'strided');
  const back = await allBytes(join(d, 'oc', 'x.safetensors'));
  assert.equal(back.size, src.tensors.length);
  for (const t of src.tensors) assert.ok(back.get(t.name)!.bytes.equals(await bytesOf(t)), t.name);
});

test('sharded transformers input → open_clip; a ResNet CLIP converts to open_clip only', async () => {
  const d = sub('shards');
  const { writeShardedClipFixture } = await import('../helpers/clipFixtures.js');
  const { index } = await writeShardedClipFixture(sub('shards/in'), clipTensorSpecs('hf-clip', 'ViT-B-32'), 3);
  const r = await cli([index, '--to', 'openclip', '-o', join(d, 'oc'), '--json']);
  assert.equal(r.code, 0, r.err);
  const rep = JSON.parse(r.out) as { tensors: number; config: string; verification: { complete: boolean } };
  assert.equal(rep.config, 'ViT-B-32');
  assert.equal(rep.verification.complete, true);
  const a = await analyzeCheckpoint(await open(join(d, 'oc', 'open_clip_model.safetensors')), { valueBudgetBytes: 0 });
  assert.ok(a.ok);
  assert.deepEqual([a.value.missing, a.value.unexpected, a.value.mismatched], [[], [], []]);

  const rn = await writeClipFixture(sub('shards/rn'), 'rn50.safetensors', clipTensorSpecs('openai-clip', 'RN50'));
  const hf = await cli([rn, '--to', 'hf', '-o', join(d, 'rn-hf')]);
  assert.equal(hf.code, 2);
  assert.match(hf.err, /convert-unsupported-model: transformers CLIP has no ModifiedResNet/);
  const oc = await cli([rn, '--to', 'openclip', '-o', join(d, 'rn-oc'), '--dtype', 'F16']);
  assert.equal(oc.code, 0, oc.err);
  const out = await open(join(d, 'rn-oc', 'open_clip_model.safetensors'));
  assert.equal(out.tensors.find((t) => t.name === 'visual.bn1.num_batches_tracked')!.dtype, 'I64', 'integers are never cast');
  assert.equal(out.tensors.find((t) => t.name === 'visual.conv1.weight')!.dtype, 'F16');
});
