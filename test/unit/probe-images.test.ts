import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { cropAndNormalize, decodeImage, OPENAI_MEAN, OPENAI_STD, resizeShorterSide, type RgbImage } from '../../src/probe/images.js';
import { loadImageFolder } from '../../src/probe/probeInputs.js';
import { BUILTIN_CLASSES, IMAGES_PER_CLASS } from '../../src/probe/probeSet.js';
import { tempDir } from '../helpers/tmp.js';

function gradient(w: number, h: number): RgbImage {
  const data = new Uint8Array(w * h * 3);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 3;
      data[i] = (x * 37 + y * 11) % 256;
      data[i + 1] = (x * 5 + y * 53) % 256;
      data[i + 2] = (x * x * 7 + y * 3) % 256;
    }
  return { width: w, height: h, data };
}

test('bicubic resize of the shorter side matches PIL (Image.resize BICUBIC, Pillow 9.4) byte for byte', () => {
  // Expected bytes computed once with Debian's python3-pil on the same 7×5 gradient.
  const down = resizeShorterSide(gradient(7, 5), 4);
  assert.deepEqual([down.width, down.height], [5, 4]);
  assert.deepEqual(
    [...down.data],
    [11, 8, 1, 60, 15, 17, 113, 22, 63, 166, 29, 138, 215, 36, 243, 24, 73, 5, 73, 80, 21, 126, 87, 67, 179, 94, 146, 228, 101, 167, 38, 141, 9, 87, 148, 25, 140, 155, 71, 193, 162, 156, 248, 169, 48, 51, 206, 13, 100, 213, 29, 153, 220, 75, 215, 227, 160, 109, 234, 63],
  );
  const up = resizeShorterSide(gradient(7, 5), 6);
  assert.deepEqual([up.width, up.height], [8, 6], 'torchvision truncates the longer side: int(6·7/5) = 8');
});

test('centre crop + OpenAI normalisation', () => {
  const img: RgbImage = { width: 3, height: 2, data: new Uint8Array([0, 0, 0, 255, 255, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120]) };
  const out = cropAndNormalize(img, 2);
  // torchvision's left offset is int(round((3 − 2) / 2)) = round(0.5) = 0 in Python (half to even), not 1.
  assert.equal(out.length, 12);
  const px = (v: number, c: number) => (v / 255 - OPENAI_MEAN[c]!) / OPENAI_STD[c]!;
  // CHW: channel 0 holds R of (0,0), (1,0), (0,1), (1,1) = 0, 255, 40, 70.
  const want = [px(0, 0), px(255, 0), px(40, 0), px(70, 0), px(0, 1), px(255, 1), px(50, 1), px(80, 1)];
  want.forEach((w, i) => assert.ok(Math.abs(out[i]! - w) < 1e-6, `value ${i}`));
});

test('PNG and JPEG decode; garbage and hostile sizes are errors with codes', () => {
  const png = new PNG({ width: 4, height: 3 });
  png.data.fill(200);
  const p = decodeImage(PNG.sync.write(png));
  assert.ok(p.ok);
  assert.deepEqual([p.image.width, p.image.height, p.image.data[0]], [4, 3, 200]);
  const j = decodeImage(jpeg.encode({ width: 8, height: 8, data: Buffer.alloc(8 * 8 * 4, 128) }, 90).data);
  assert.ok(j.ok);
  assert.equal(j.image.width, 8);
  const g = decodeImage(new Uint8Array([1, 2, 3, 4]));
  assert.ok(!g.ok);
  assert.equal(g.code, 'image-format');
  const hdr = Buffer.from(PNG.sync.write(png));
  hdr.writeUInt32BE(100000, 16);
  hdr.writeUInt32BE(100000, 20);
  const big = decodeImage(hdr);
  assert.ok(!big.ok);
  assert.equal(big.code, 'image-too-large');
  const trunc = decodeImage(Buffer.from(PNG.sync.write(png)).subarray(0, 30));
  assert.ok(!trunc.ok);
});

test('image folders: one sub-folder per label (spaces allowed), labels file order, unlisted folders rejected', async () => {
  const dir = tempDir('ckl-img-');
  for (const label of ['red car', 'blue sky']) {
    mkdirSync(join(dir, label));
    const png = new PNG({ width: 20, height: 10 });
    png.data.fill(label === 'red car' ? 50 : 150);
    writeFileSync(join(dir, label, 'a.png'), PNG.sync.write(png));
    writeFileSync(join(dir, label, 'notes.txt'), 'ignored');
  }
  const labels = join(dir, 'labels.txt');
  writeFileSync(labels, 'blue sky\nred car\ngreen tree\n');
  const r = await loadImageFolder(dir, 8, labels);
  assert.ok(r.ok, r.ok ? '' : r.message);
  assert.deepEqual(r.value.labels, ['blue sky', 'red car', 'green tree']);
  assert.deepEqual(r.value.images.map((i) => i.label), [0, 1]);
  assert.equal(r.value.images[0]!.pixels.length, 3 * 8 * 8);
  writeFileSync(labels, 'blue sky\n');
  const bad = await loadImageFolder(dir, 8, labels);
  assert.ok(!bad.ok);
  assert.equal(bad.code, 'probe-label-missing');
});

test('the built-in probe set is deterministic and its classes differ', () => {
  const a = BUILTIN_CLASSES.map((c) => c.draw(32, 1));
  const b = BUILTIN_CLASSES.map((c) => c.draw(32, 1));
  assert.deepEqual(a, b);
  assert.equal(new Set(a.map((x) => Buffer.from(x).toString('base64'))).size, BUILTIN_CLASSES.length);
  assert.ok(IMAGES_PER_CLASS >= 2);
  const red = a[0]!;
  assert.ok(red[0]! > 150 && red[1]! < 100, 'red is red');
});
