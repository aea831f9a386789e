/**
 * The PyTorch reader against fixtures written by torch.save / torch.jit.save (Debian python3-torch
 * 1.13, test/fixtures/pytorch/generate.py): names, shapes, dtypes and every value must equal what
 * PyTorch reported when it wrote them (expected.json).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Checkpoint, TensorInfo } from '../../src/core/checkpoint.js';
import { readTensorBytes, readTensorFloat32, tensorValueChunks } from '../../src/core/values.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { tensorStats } from '../../src/stats/tensorStats.js';
import { runCli } from '../helpers/cli.js';

const DIR = join(__dirname, '../fixtures/pytorch/');
interface Expected {
  dtype: string;
  shape: number[];
  strides: number[];
  storage_offset: number;
  contiguous: boolean;
  values: number[];
}
const EXPECTED = JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')) as Record<string, { tensors: Record<string, Expected>; order: string[]; epoch?: number; context_length?: number }>;

async function open(f: string): Promise<Checkpoint> {
  const r = await openCheckpoint(join(DIR, f));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

async function assertMatchesTorch(c: Checkpoint, fixture: string, opts: { ordered: boolean }): Promise<void> {
  const want = EXPECTED[fixture]!.tensors;
  const order = EXPECTED[fixture]!.order;
  assert.deepEqual(c.unreadable, []);
  const names = c.tensors.map((t) => t.name);
  if (opts.ordered) assert.deepEqual(names, order, 'tensors come in state_dict order');
  assert.deepEqual([...names].sort(), Object.keys(want).sort());
  for (const t of c.tensors) {
    const e = want[t.name]!;
    assert.equal(t.dtype, e.dtype, `${t.name} dtype`);
    assert.deepEqual(t.shape, e.shape, `${t.name} shape`);
    assert.equal(t.elementCount, e.values.length, `${t.name} elementCount`);
    const got = await readTensorFloat32(t);
    assert.deepEqual(Array.from(got), e.values.map((v) => Math.fround(v)), `${t.name} values`);
  }
}

describe('pytorch reader: torch.save fixtures', () => {
  it('zip state dict: every dtype, shared + non-contiguous storages, equal to PyTorch', async () => {
    const c = await open('basic.pt');
    assert.equal(c.format, 'pytorch-zip');
    await assertMatchesTorch(c, 'basic.pt', { ordered: true });
    // In-place addressing: row-major views are plain byte ranges of the file, the others strided views.
    const by = new Map(c.tensors.map((t) => [t.name, t]));
    assert.equal(by.get('f32')!.data.kind, 'contiguous');
    assert.equal(by.get('shared.rows')!.data.kind, 'contiguous');
    for (const n of ['shared.transposed', 'shared.every_other', 'expanded']) assert.equal(by.get(n)!.data.kind, 'strided', n);
    const full = by.get('shared.full')!.data;
    const rows = by.get('shared.rows')!.data;
    assert.ok(full.kind === 'contiguous' && rows.kind === 'contiguous');
    assert.equal(rows.offset, full.offset + 6 * 4, 'a view at storage offset 6 points into the same storage bytes');
    assert.deepEqual(c.problems, []);
  });

  it('zip64 records (as large archives use) read the same', async () => {
    const c = await open('zip64.pt');
    await assertMatchesTorch(c, 'zip64.pt', { ordered: true });
  });

  it('legacy (pre-1.6, non-zip) format reads the same tensors in place', async () => {
    const c = await open('legacy.pt');
    assert.equal(c.format, 'pytorch-legacy');
    await assertMatchesTorch(c, 'legacy.pt', { ordered: true });
  });

  it('a truncated legacy file lists the storages that are there and reports the rest', async () => {
    const { mkdtempSync, readFileSync: rd, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const whole = rd(join(DIR, 'legacy.pt'));
    const p = join(mkdtempSync(join(tmpdir(), 'ckl-pt-')), 'cut.pt');
    writeFileSync(p, whole.subarray(0, whole.length - 100));
    const r = await openCheckpoint(p);
    assert.ok(r.ok, r.ok ? '' : r.error.message);
    assert.ok(r.value.problems.some((x) => x.code === 'pytorch-legacy-truncated'));
    assert.ok(r.value.tensors.length > 0 && r.value.unreadable.length > 0);
    for (const t of r.value.tensors) await readTensorFloat32(t); // everything listed is readable
    writeFileSync(p, whole.subarray(0, 200));
    const head = await openCheckpoint(p);
    assert.ok(!head.ok && head.error.code === 'pytorch-legacy-truncated', head.ok ? '' : head.error.code);
  });

  it('deflate-compressed storages stream through inflate with the same values, random access included', async () => {
    const c = await open('compressed.pt');
    await assertMatchesTorch(c, 'compressed.pt', { ordered: true });
    assert.ok(c.problems.some((p) => p.code === 'pytorch-compressed-storages'));
    const t = c.tensors.find((x) => x.name === 'shared.transposed')!;
    assert.equal(t.data.kind, 'opaque');
    const all = await readTensorFloat32(t);
    // Backwards and unaligned reads restart the inflate pass and still agree.
    const tail = await readTensorBytes(t, 40, 96);
    const head = await readTensorBytes(t, 2, 14);
    const allBytes = new Uint8Array(all.buffer);
    assert.deepEqual(Array.from(tail), Array.from(allBytes.subarray(40, 96)));
    assert.deepEqual(Array.from(head), Array.from(allBytes.subarray(2, 14)));
  });

  it('non-contiguous views stream correctly through tensorValueChunks in small chunks', async () => {
    for (const f of ['basic.pt', 'compressed.pt']) {
      const c = await open(f);
      for (const name of ['shared.transposed', 'shared.every_other', 'expanded', 'shared.rows']) {
        const t = c.tensors.find((x) => x.name === name)!;
        const vals: number[] = [];
        for await (const chunk of tensorValueChunks(t, { chunkBytes: 8 })) vals.push(...chunk);
        assert.deepEqual(vals, EXPECTED[f]!.tensors[name]!.values.map((v) => Math.fround(v)), `${f} ${name}`);
      }
    }
  });

  it('training checkpoint: weights unwrapped from state_dict, optimizer recognised, epoch as metadata', async () => {
    const c = await open('training.pt');
    await assertMatchesTorch(c, 'training.pt', { ordered: true });
    assert.equal(c.metadata.epoch, '5');
    assert.equal(c.metadata.arch, 'vit_tiny');
    assert.match(c.extras?.optimizer ?? '', /^optimizer state \(Adam-like\): 4 parameter states \[exp_avg, exp_avg_sq, step\], 1 param group, 4 parameters \(lr=0\.001/);
    assert.match(c.extras?.state_dict_ema ?? '', /^5 tensors/);
    assert.equal(c.extras?.args, 'argparse.Namespace(lr=0.001, batch_size=32)');
    const codes = c.problems.map((p) => p.code).sort();
    assert.deepEqual(codes, ['pickle-non-weights-global', 'pytorch-training-checkpoint', 'pytorch-weights-unwrapped']);
    // argparse.Namespace is a known data class: a warning (weights_only=True refuses it), never an error.
    assert.ok(c.problems.every((p) => p.severity !== 'error'));
    assert.match(c.problems.find((p) => p.code === 'pickle-non-weights-global')!.message, /argparse\.Namespace/);
  });

  it('a whole pickled nn.Module yields its state_dict without importing its class', async () => {
    const c = await open('whole_module.pt');
    await assertMatchesTorch(c, 'whole_module.pt', { ordered: true });
    assert.equal(c.metadata['pytorch.module_class'], '__main__.Tiny');
    // A user class is outside the allowlist: torch.load(weights_only=False) would import __main__.Tiny.
    assert.ok(c.problems.some((p) => p.code === 'pickle-unsafe-global' && p.severity === 'error' && p.message.includes('__main__.Tiny')));
  });

  it('TorchScript archive: weights and attributes without running code', async () => {
    const c = await open('scripted.pt');
    assert.equal(c.format, 'torchscript');
    await assertMatchesTorch(c, 'scripted.pt', { ordered: false });
    assert.equal(c.metadata.context_length, '77');
    assert.ok(c.problems.some((p) => p.code === 'torchscript-code-not-run'));
  });

  it('sharded pytorch_model.bin.index.json opens as one model', async () => {
    const c = await open('sharded/pytorch_model.bin.index.json');
    assert.equal(c.format, 'pytorch-sharded');
    assert.equal(c.files.length, 2);
    await assertMatchesTorch(c, 'sharded/pytorch_model.bin.index.json', { ordered: true });
    assert.equal(c.tensors.find((t) => t.name === 'f32')!.shard, 'pytorch_model-00001-of-00002.bin');
    assert.equal(c.tensors.find((t) => t.name === 'expanded')!.shard, 'pytorch_model-00002-of-00002.bin');
    assert.deepEqual(c.problems, []);
  });

  it('streamed stats of a strided tensor equal the values PyTorch reported', async () => {
    const c = await open('basic.pt');
    const t: TensorInfo = c.tensors.find((x) => x.name === 'shared.transposed')!;
    const s = await tensorStats(t, { bins: 8 });
    const vals = EXPECTED['basic.pt']!.tensors['shared.transposed']!.values;
    assert.equal(s.min, Math.min(...vals));
    assert.equal(s.max, Math.max(...vals));
    assert.ok(s.mean !== null && Math.abs(s.mean - vals.reduce((a, b) => a + b, 0) / vals.length) < 1e-6);
  });
});

describe('pytorch reader: CLI', () => {
  it('inspect --json and stats work on a .pt through openCheckpoint', () => {
    const r = runCli(['inspect', join(DIR, 'training.pt'), '--json', '--no-config']);
    assert.ok(r.code === 0 || r.code === 1, r.stderr);
    const doc = JSON.parse(r.stdout) as { format: string; tensorCount: number; metadata: Record<string, string> };
    assert.equal(doc.format, 'pytorch-zip');
    assert.equal(doc.tensorCount, 5);
    const s = runCli(['stats', join(DIR, 'basic.pt'), '--tensor', 'shared.transposed', '--json']);
    assert.equal(s.code, 0, s.stderr);
    assert.match(s.stdout, /shared\.transposed/);
  });

  it('diff of a .pt (zip, legacy, compressed) against its safetensors conversion reports them identical', () => {
    for (const f of ['basic.pt', 'legacy.pt', 'compressed.pt']) {
      const r = runCli(['diff', join(DIR, f), join(DIR, 'basic.safetensors'), '--json']);
      assert.equal(r.code, 0, `${f}: ${r.stderr}${r.stdout.slice(0, 2000)}`);
      const doc = JSON.parse(r.stdout) as { counts: { matched: number; identical: number; different: number; onlyA: number; onlyB: number } };
      assert.deepEqual([doc.counts.matched, doc.counts.identical, doc.counts.different, doc.counts.onlyA, doc.counts.onlyB], [17, 17, 0, 0, 0], f);
    }
  });

  it('a .bin that is really safetensors, HTML or noise gets the right answer', async () => {
    const { copyFileSync, mkdtempSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const d = mkdtempSync(join(tmpdir(), 'ckl-pt-'));
    copyFileSync(join(DIR, 'basic.safetensors'), join(d, 'st.bin'));
    const st = await openCheckpoint(join(d, 'st.bin'));
    assert.ok(st.ok && st.value.format === 'safetensors' && st.value.tensors.length === 17);
    writeFileSync(join(d, 'page.bin'), '<!DOCTYPE html><html>login</html>');
    const html = await openCheckpoint(join(d, 'page.bin'));
    assert.ok(!html.ok && html.error.code === 'html-page');
    writeFileSync(join(d, 'noise.pt'), Buffer.alloc(4096, 7));
    const noise = await openCheckpoint(join(d, 'noise.pt'));
    assert.ok(!noise.ok && noise.error.code === 'pytorch-unrecognised', noise.ok ? '' : noise.error.code);
  });

  it('a sharded .bin model with a missing shard reports shard-missing and still lists the other', async () => {
    const { copyFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const d = mkdtempSync(join(tmpdir(), 'ckl-pt-'));
    for (const f of ['pytorch_model.bin.index.json', 'pytorch_model-00001-of-00002.bin']) copyFileSync(join(DIR, 'sharded', f), join(d, f));
    const r = await openCheckpoint(join(d, 'pytorch_model.bin.index.json'));
    assert.ok(r.ok);
    assert.equal(r.value.tensors.length, 8);
    assert.equal(r.value.unreadable.length, 9);
    assert.deepEqual(r.value.problems.map((p) => p.code), ['shard-missing']);
  });

  it('a PyTorch zip under an unknown extension is routed by its magic bytes', async () => {
    const { copyFileSync, mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const p = join(mkdtempSync(join(tmpdir(), 'ckl-pt-')), 'weights.data');
    copyFileSync(join(DIR, 'basic.pt'), p);
    const r = await openCheckpoint(p);
    assert.ok(r.ok && r.value.format === 'pytorch-zip' && r.value.tensors.length === 17);
    assert.deepEqual(r.value.problems, []);
    const fake = `${p}.safetensors`;
    copyFileSync(join(DIR, 'basic.pt'), fake);
    const m = await openCheckpoint(fake);
    assert.ok(m.ok && m.value.tensors.length === 17);
    assert.deepEqual(m.value.problems.map((x) => x.code), ['pytorch-misnamed-safetensors']);
  });
});
