import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { resizeTo, type RgbImage } from '../../src/probe/images.js';
import { applyPreprocess, CLIP_PREPROCESS, describePreprocess, HF_SIGLIP2_PREPROCESS, HF_SIGLIP_PREPROCESS, OPENCLIP_SIGLIP_PREPROCESS, preprocessFor, preprocessForCheckpoint } from '../../src/probe/preprocess.js';
import { PNG } from 'pngjs';
import { loadImageFolder } from '../../src/probe/probeInputs.js';
import { tempDir } from '../helpers/tmp.js';

// Ground truth from test/fixtures/probe/make_preprocess.py (transformers 4.51.3 / Pillow 9.4; open_clip 3.3.0 / Pillow 13).
const FIX = join(__dirname, '..', 'fixtures', 'probe', 'preprocess');
interface Img {
  width: number;
  height: number;
  rgb: number[];
}
const hf = JSON.parse(readFileSync(join(FIX, 'hf.json'), 'utf8')) as { size: number; cases: { image: Img; pil: Record<string, number[]>; pixels: Record<string, number[]> }[] };
const oc = JSON.parse(readFileSync(join(FIX, 'openclip.json'), 'utf8')) as { size: number; cfg: { mean: number[]; std: number[]; interpolation: string; resize_mode: string }; cases: { image: Img; pixels: number[] }[] };
const rgb = (i: Img): RgbImage => ({ width: i.width, height: i.height, data: Uint8Array.from(i.rgb) });

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

test('squash resize matches PIL Image.resize((S, S)) byte for byte, bilinear and bicubic (down and up, non-square; Pillow 9.4)', () => {
  for (const c of hf.cases) {
    for (const f of ['bilinear', 'bicubic'] as const) {
      const got = resizeTo(rgb(c.image), hf.size, hf.size, f);
      assert.deepEqual([...got.data], c.pil[f], `${f} ${c.image.width}×${c.image.height}`);
    }
  }
});

test('the bilinear kernel is not the bicubic one (the two PIL outputs differ and each matches its own filter)', () => {
  const c = hf.cases[0]!;
  assert.ok(maxDiff(c.pil.bilinear!, c.pil.bicubic!) > 2);
  assert.ok(maxDiff(resizeTo(rgb(c.image), hf.size, hf.size, 'bilinear').data, c.pil.bicubic!) > 2);
});

test('transformers SiglipImageProcessor pixel_values: the probe makes the same tensor (bilinear and bicubic)', () => {
  for (const c of hf.cases) {
    for (const f of ['bilinear', 'bicubic'] as const) {
      const got = applyPreprocess(rgb(c.image), hf.size, { ...HF_SIGLIP_PREPROCESS, filter: f });
      // Same bytes as PIL, then (x/255 − 0.5)/0.5 in float32: equal to the fixture's 7 decimals.
      assert.ok(maxDiff(got, c.pixels[f]!) < 1e-6, `${f} ${c.image.width}×${c.image.height}`);
    }
  }
});

test('open_clip SigLIP preprocess (ViT-B-16-SigLIP webli: squash, bicubic, mean = std = 0.5): the probe makes the same tensor', () => {
  assert.deepEqual(oc.cfg, { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], interpolation: 'bicubic', resize_mode: 'squash' });
  for (const c of oc.cases) {
    const got = applyPreprocess(rgb(c.image), oc.size, OPENCLIP_SIGLIP_PREPROCESS);
    // The fixture was made with Pillow 13, which runs the vertical pass first when the height
    // shrinks much more than the width (Pillow PR #9549); we keep Pillow ≤ 12's horizontal-first
    // order, so the tall 20×41 image differs by a few uint8 levels (one level = 2/255 here).
    const tall = c.image.height > 1.5 * c.image.width;
    assert.ok(maxDiff(got, c.pixels) < (tall ? (5 * 2) / 255 : 1e-6), `${c.image.width}×${c.image.height}`);
  }
  // CLIP's preprocessing on the same image is far off: the choice matters.
  assert.ok(maxDiff(applyPreprocess(rgb(oc.cases[0]!.image), oc.size, CLIP_PREPROCESS), oc.cases[0]!.pixels) > 0.2);
});

test('preprocessing is chosen per family: CLIP crop + OpenAI stats, SigLIP squash + 0.5', () => {
  assert.equal(preprocessFor('openai-clip', 'clip'), CLIP_PREPROCESS);
  assert.equal(preprocessFor('hf-siglip', 'siglip'), HF_SIGLIP_PREPROCESS);
  assert.equal(preprocessFor('openclip-timm', 'siglip'), OPENCLIP_SIGLIP_PREPROCESS);
  assert.equal(preprocessFor('timm-vit', 'siglip'), OPENCLIP_SIGLIP_PREPROCESS);
  assert.equal(preprocessFor('hf-siglip', 'siglip', true), HF_SIGLIP2_PREPROCESS);
  assert.equal(HF_SIGLIP2_PREPROCESS.filter, 'bilinear');
  assert.match(describePreprocess(OPENCLIP_SIGLIP_PREPROCESS), /squash.*bicubic.*mean \[0\.5, 0\.5, 0\.5\]/);
  assert.match(describePreprocess(CLIP_PREPROCESS), /centre crop.*mean \[0\.4815/);
});

test('transformers preprocessor_config.json beside the weights sets resample / mean / std; bad values keep the defaults', async () => {
  const dir = tempDir('probe-preprocess');
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ resample: 2, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] }));
  const p = await preprocessForCheckpoint(dir, 'hf-siglip', 'siglip');
  assert.equal(p.filter, 'bilinear');
  assert.equal(p.resize, 'squash');
  assert.match(p.source, /preprocessor_config\.json/);
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({ resample: 1, image_mean: 'x', image_std: [0, 0, 0] }));
  const q = await preprocessForCheckpoint(dir, 'hf-siglip', 'siglip');
  assert.equal(q.filter, 'bicubic');
  assert.deepEqual(q.mean, [0.5, 0.5, 0.5]);
  assert.deepEqual(q.std, [0.5, 0.5, 0.5]);
  assert.match(q.source, /resample 1 not supported/);
  writeFileSync(join(dir, 'preprocessor_config.json'), '{not json');
  assert.equal(await preprocessForCheckpoint(dir, 'hf-siglip', 'siglip'), HF_SIGLIP_PREPROCESS);
  // Not read for open_clip / CLIP checkpoints.
  assert.equal(await preprocessForCheckpoint(dir, 'openclip-timm', 'siglip'), OPENCLIP_SIGLIP_PREPROCESS);
});

test('user images (--images) go through the chosen preprocessing: PNG files give transformers\' pixel_values', async () => {
  const dir = tempDir('probe-preprocess-images');
  hf.cases.slice(0, 2).forEach((c, k) => {
    const png = new PNG({ width: c.image.width, height: c.image.height });
    for (let i = 0; i < c.image.width * c.image.height; i++) {
      for (let ch = 0; ch < 3; ch++) png.data[i * 4 + ch] = c.image.rgb[i * 3 + ch]!;
      png.data[i * 4 + 3] = 255;
    }
    mkdirSync(join(dir, `class${k}`));
    writeFileSync(join(dir, `class${k}`, 'a.png'), PNG.sync.write(png));
  });
  const r = await loadImageFolder(dir, hf.size, undefined, undefined, { ...HF_SIGLIP_PREPROCESS, filter: 'bilinear' });
  assert.ok(r.ok);
  r.value.images.forEach((im, k) => assert.ok(maxDiff(im.pixels, hf.cases[k]!.pixels.bilinear!) < 1e-6, `image ${k}`));
  // The CLIP default (no preprocessing given) is something else.
  const clip = await loadImageFolder(dir, hf.size);
  assert.ok(clip.ok);
  assert.ok(maxDiff(clip.value.images[0]!.pixels, hf.cases[0]!.pixels.bilinear!) > 0.2);
});
