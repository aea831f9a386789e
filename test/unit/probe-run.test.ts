import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { PNG } from 'pngjs';
import { join } from 'node:path';
import { test } from 'node:test';
import { openCheckpoint } from '../../src/formats/open.js';
import { readTensorFloat32 } from '../../src/core/values.js';
import { runProbe } from '../../src/probe/probe.js';
import { binomialTail, score, verdict } from '../../src/probe/report.js';
import { tinyConfig, writeSyntheticClip } from '../../src/probe/syntheticCheckpoint.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';
import { maxAbsDiff } from './probe-fixtures.js';

const dir = tempDir('ckl-probe-run-');
const cacheDir = join(dir, 'cache');
// Tiny towers, but the real CLIP vocabulary and context so the built-in prompts fit.
const base = tinyConfig();
const cfg = tinyConfig({ text: { ...base.text, vocabSize: 49408, contextLength: 77 }, vision: { ...base.vision, imageSize: 32, tokens: 17 } });

test('the seed case: a vision-only checkpoint is reported with a random text tower and accuracy at chance', async () => {
  const path = join(dir, 'vision-only.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'BF16', omit: ['text', 'logit_scale'] });
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const phases = new Set<string>();
  const r = await runProbe(ck.value, { provider: 'cpu', cacheDir }, { onProgress: (p) => phases.add(p.phase) });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  const rep = r.report;
  assert.deepEqual(
    rep.randomInitialized.map((x) => [x.tower, x.whole]),
    [
      ['text', true],
      ['shared', true],
    ],
  );
  assert.equal(rep.randomInitialized[0]!.count, 12 * 12 + 5, 'every text-tower tensor (12 blocks × 12 + embeddings, ln_final, projection)');
  assert.equal(rep.classes, 14);
  assert.equal(rep.images, 42);
  assert.match(rep.probeSetName, /^built-in probe set/);
  assert.equal(rep.chance, 1 / 14);
  assert.ok(rep.pValue! > 0.05, `random text tower must not look aligned (top1 ${rep.top1})`);
  assert.equal(rep.verdict.code, 'at-chance');
  assert.match(rep.verdict.text, /text tower or projection missing/);
  assert.equal(rep.provider, 'cpu');
  assert.equal(rep.tokenizer, 'built-in pre-tokenised prompts (CLIP BPE ids)');
  assert.match(rep.preprocess, /^CLIP \(OpenAI \/ open_clip\): resize shorter side to S, centre crop S×S, bicubic .*mean \[0\.4815, 0\.4578, 0\.4082\]/);
  assert.ok(rep.timings.sessionCreateMs > 0 && rep.timings.perImageMs! > 0);
  assert.deepEqual([...phases].sort(), ['build', 'run', 'session']);
  assert.deepEqual(readdirSync(cacheDir), [], 'the work directory (model + hard links) is removed');
});

test('CLI: --json report fields, --dump then --inputs reproduces the same logits, exit codes', async () => {
  const path = join(dir, 'full.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F16' });
  const dump = join(dir, 'dump.safetensors');
  const a = runCli(['probe', path, '--json', '--provider', 'cpu', '--dump', dump, '--cache-dir', cacheDir]);
  assert.ok(a.code === 0 || a.code === 1, a.stderr);
  const rep = JSON.parse(a.stdout) as Record<string, unknown>;
  for (const k of ['top1', 'top5', 'chance', 'provider', 'randomInitialized', 'perClass', 'timings', 'verdict']) assert.ok(k in rep, k);
  assert.deepEqual(rep.randomInitialized, []);

  const d = await openCheckpoint(dump);
  assert.ok(d.ok);
  const byName = new Map(d.value.tensors.map((t) => [t.name, t]));
  assert.deepEqual(byName.get('pixel_values')!.shape, [42, 3, 32, 32]);
  assert.deepEqual(byName.get('input_ids')!.shape, [14, 77]);
  assert.deepEqual(byName.get('image_embeds')!.shape, [42, 16]);
  assert.deepEqual(byName.get('logits_per_image')!.shape, [42, 14]);
  const img = await readTensorFloat32(byName.get('image_embeds')!);
  for (let i = 0; i < 42; i++) {
    let s = 0;
    for (let e = 0; e < 16; e++) s += img[i * 16 + e]! ** 2;
    assert.ok(Math.abs(s - 1) < 1e-5, 'image embeddings are L2-normalised');
  }

  const dump2 = join(dir, 'dump2.safetensors');
  const b = runCli(['probe', path, '--json', '--provider', 'cpu', '--inputs', dump, '--dump', dump2, '--cache-dir', cacheDir]);
  assert.equal(b.code, 0, b.stderr);
  const rep2 = JSON.parse(b.stdout) as { top1: unknown; verdict: { code: string } };
  assert.equal(rep2.top1, null);
  assert.equal(rep2.verdict.code, 'no-labels');
  const d2 = await openCheckpoint(dump2);
  assert.ok(d2.ok);
  const l1 = await readTensorFloat32(byName.get('logits_per_image')!);
  const l2 = await readTensorFloat32(d2.value.tensors.find((t) => t.name === 'logits_per_image')!);
  assert.ok(maxAbsDiff(l1, l2) < 1e-4, 'same inputs, same logits');

  const c = runCli(['probe', path, '--provider', 'dml', '--cache-dir', cacheDir]);
  assert.equal(c.code, 2);
  assert.match(c.stderr, /probe-provider-unavailable/);
  assert.match(c.stderr, /dml: skipped \(DirectML exists only on Windows\)/);

  const u = runCli(['probe', path, '--provider', 'tpu']);
  assert.equal(u.code, 2);
  assert.match(u.stderr, /--provider must be/);
  const t = runCli(['probe', path, '--template', 'no placeholder', '--cache-dir', cacheDir]);
  assert.equal(t.code, 2);
  assert.match(t.stderr, /probe-bad-template/);
});

const BPE = join(__dirname, '../../../shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz');

test('user probe: class folders + labels file + template, tokenised with the CLIP BPE', { skip: !existsSync(BPE) && 'shared CLIP BPE vocabulary not present' }, async () => {
  const path = join(dir, 'user.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F32' });
  const images = join(dir, 'images');
  for (const [label, v] of [
    ['red car', 60],
    ['blue sky', 200],
  ] as const) {
    mkdirSync(join(images, label), { recursive: true });
    for (const [i, w] of [40, 64].entries()) {
      const png = new PNG({ width: w, height: 48 });
      for (let p = 0; p < w * 48; p++) png.data.set([v, 255 - v, (p * 7) % 256, 255], p * 4);
      writeFileSync(join(images, label, `${i}.png`), PNG.sync.write(png));
    }
  }
  const labels = join(dir, 'labels.txt');
  writeFileSync(labels, 'red car\nblue sky\n');
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const r = await runProbe(ck.value, { provider: 'cpu', cacheDir, images: { dir: images, labelsFile: labels }, template: 'a photo of a {label}', tokenizer: BPE, keepTensors: true });
  assert.ok(r.ok, r.ok ? '' : r.error.message);
  assert.equal(r.report.probeSet, 'images');
  assert.equal(r.report.probeSetName, `your images in ${images} (classes from the labels file ${labels})`);
  assert.equal(r.report.images, 4);
  assert.deepEqual(r.report.perClass.map((c) => [c.label, c.images]), [
    ['red car', 2],
    ['blue sky', 2],
  ]);
  assert.equal(r.report.chance, 0.5);
  assert.equal(r.report.tokenizer, BPE);
  // "a photo of a red car": SOT, a, photo, of, a, red, car, EOT, then zero padding.
  assert.deepEqual([...r.tensors!.inputIds.subarray(0, 9)].map(Number), [49406, 320, 1125, 539, 320, 736, 1615, 49407, 0]);
  // Without a tokenizer, custom prompts are refused rather than guessed.
  const noTok = await runProbe(ck.value, { provider: 'cpu', cacheDir, images: { dir: images }, tokenizer: join(dir, 'missing.json') });
  assert.ok(!noTok.ok);
  assert.equal(noTok.error.code, 'tokenizer-not-found');
});

test('cancelling stops the probe and removes the work directory', async () => {
  const path = join(dir, 'cancel.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F32' });
  const ck = await openCheckpoint(path);
  assert.ok(ck.ok);
  const ac = new AbortController();
  const cd = join(dir, 'cache-cancel');
  await assert.rejects(
    runProbe(ck.value, { provider: 'cpu', cacheDir: cd, batchSize: 4 }, { signal: ac.signal, onProgress: (p) => p.phase === 'run' && p.done >= 8 && ac.abort() }),
    (e: Error) => e.name === 'AbortError',
  );
  assert.deepEqual(readdirSync(cd), []);
});

test('runProbe works inside a worker_thread (the editor runs it there) and reports progress', async () => {
  const { Worker } = await import('node:worker_threads');
  const path = join(dir, 'worker.safetensors');
  await writeSyntheticClip(path, cfg, { dtype: 'F16', omit: ['text'] });
  // Node 20 does not pass `--import tsx` to workers; register tsx's CommonJS hook inside the worker instead.
  const boot = `require('tsx/cjs'); require(${JSON.stringify(join(__dirname, 'probe-worker-fixture.ts'))});`;
  const w = new Worker(boot, { eval: true, workerData: { path, cacheDir } });
  const phases: string[] = [];
  const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
    w.on('message', (m: { progress?: string; result?: Record<string, unknown>; error?: string }) => {
      if (m.progress) phases.push(m.progress);
      if (m.result) resolve(m.result);
      if (m.error) reject(new Error(m.error));
    });
    w.on('error', reject);
  });
  await w.terminate();
  assert.deepEqual(result, { ok: true, verdict: 'at-chance', provider: 'cpu' });
  assert.ok(phases.includes('run'));
});

test('scoring and verdicts: aligned needs significance, chance is called chance', () => {
  const labels = ['a', 'b', 'c', 'd'];
  const truth = [0, 0, 1, 1, 2, 2, 3, 3];
  const perfect = new Float32Array(8 * 4);
  truth.forEach((t, i) => (perfect[i * 4 + t] = 10));
  const s = score(perfect, truth, labels);
  assert.equal(s.top1, 1);
  assert.equal(s.chance, 0.25);
  assert.ok(s.pValue < 1e-3);
  assert.equal(verdict(s, []).code, 'aligned');
  assert.deepEqual(s.confusion[2], [0, 0, 2, 0]);
  // Always predicting class 0: top-1 = chance.
  const constant = new Float32Array(8 * 4);
  truth.forEach((_, i) => (constant[i * 4] = 1));
  const c = score(constant, truth, labels);
  assert.equal(c.top1, 0.25);
  assert.equal(verdict(c, [{ tower: 'text', whole: true, count: 149, tensors: [] }]).code, 'at-chance');
  assert.equal(verdict(null, []).code, 'no-labels');
  // Tail probabilities: P(X ≥ 0) = 1; P(X ≥ n) = p^n.
  assert.equal(binomialTail(0, 10, 0.3), 1);
  assert.ok(Math.abs(binomialTail(10, 10, 0.5) - 2 ** -10) < 1e-12);
});
