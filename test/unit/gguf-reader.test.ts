import assert from 'node:assert/strict';
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { storedBytes, type Checkpoint, type TensorInfo } from '../../src/core/checkpoint.js';
import { CheckpointLensError } from '../../src/core/result.js';
import { readTensorFloat32 } from '../../src/core/values.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { ggufFilesOf } from '../../src/formats/gguf/file.js';
import { checkLlamaLayout, understandGguf } from '../../src/formats/gguf/understand.js';
import { ggufAsTransformersLlama } from '../../src/formats/gguf/hfView.js';
import { GGML_TYPES, bitsPerWeight, ggmlTypeByName } from '../../src/formats/gguf/types.js';
import { tensorValues } from '../../src/cli/commands/values.js';
import { runCli } from '../helpers/cli.js';
import { writeSafetensors } from '../../src/core/writeSafetensors.js';
import { tempDir } from '../helpers/tmp.js';

const FIX = join(__dirname, '../fixtures/gguf');
type Expected = { name: string; type: string; ne: number[]; n_bytes: number; n_elements: number; data_offset: number; values?: number[] | null; head?: number[]; sum?: number };
const EXPECTED = JSON.parse(readFileSync(join(FIX, 'expected.json'), 'utf8')) as Record<string, { tensors: Expected[]; alignment: number; data_offset: number }>;

async function open(name: string): Promise<Checkpoint> {
  const r = await openCheckpoint(join(FIX, name));
  assert.ok(r.ok, r.ok ? '' : `${r.error.code}: ${r.error.message}`);
  return r.value;
}

function byName(c: Checkpoint, n: string): TensorInfo {
  const t = c.tensors.find((x) => x.name === n);
  assert.ok(t, `tensor ${n}`);
  return t;
}

describe('GGUF fixtures written by gguf-py, read back as gguf-py reads them', () => {
  for (const file of ['quants.gguf', 'tiny-llama.gguf', 'tiny-mmproj.gguf']) {
    it(`${file}: every tensor's type, shape, size and offset match GGUFReader`, async () => {
      const c = await open(file);
      const exp = EXPECTED[file]!;
      assert.equal(c.format, 'gguf');
      assert.deepEqual(c.problems, []);
      assert.equal(c.tensors.length + c.unreadable.length, exp.tensors.length);
      assert.equal(ggufFilesOf(c)![0]!.header.dataStart, exp.data_offset);
      for (const e of exp.tensors) {
        const t = byName(c, e.name);
        assert.equal(t.encoding?.type ?? t.dtype, e.type, e.name);
        assert.deepEqual(t.shape, [...e.ne].reverse(), e.name);
        assert.equal(t.elementCount, e.n_elements, e.name);
        assert.equal(storedBytes(t), e.n_bytes, e.name);
        const offset = t.encoding ? t.encoding.offset : t.data.kind === 'contiguous' ? t.data.offset : -1;
        assert.equal(offset, e.data_offset, e.name);
      }
    });
  }

  it('dequantised values are bit-exact with gguf.quants.dequantize (every decodable type)', async () => {
    const c = await open('quants.gguf');
    let checked = 0;
    for (const e of EXPECTED['quants.gguf']!.tensors) {
      if (!e.values) continue;
      const t = byName(c, e.name);
      if (t.encoding && !t.encoding.decodable) continue;
      const v = await readTensorFloat32(t);
      assert.equal(v.length, e.values.length);
      for (let i = 0; i < v.length; i++) {
        if (!Object.is(v[i], Math.fround(e.values[i]!))) assert.fail(`${e.name}[${i}]: ${v[i]} != ${e.values[i]}`);
      }
      checked++;
    }
    // F32 F16 BF16 Q4_0 Q4_1 Q5_0 Q5_1 Q8_0 Q2_K Q3_K Q4_K Q5_K Q6_K IQ4_NL IQ4_XS TQ2_0 MXFP4
    assert.equal(checked, 17);
  });

  it('tiny-llama values (head and sum) match gguf-py for every quantised tensor', async () => {
    const c = await open('tiny-llama.gguf');
    for (const e of EXPECTED['tiny-llama.gguf']!.tensors) {
      const v = await readTensorFloat32(byName(c, e.name));
      assert.deepEqual([...v.subarray(0, e.head!.length)], e.head!.map(Math.fround), e.name);
      let s = 0;
      for (const x of v) s += x;
      assert.ok(Math.abs(s - e.sum!) <= 1e-9 * Math.max(1, Math.abs(e.sum!)), `${e.name}: sum ${s} vs ${e.sum}`);
    }
  });

  it('a type without a dequantiser stays listed with its size; reading its values fails with a code, only for it', async () => {
    const c = await open('quants.gguf');
    const t = byName(c, 'iq2_xxs');
    assert.equal(t.encoding?.type, 'IQ2_XXS');
    assert.equal(t.encoding?.decodable, false);
    assert.equal(storedBytes(t), 2 * 66);
    await assert.rejects(readTensorFloat32(t), (e: unknown) => e instanceof CheckpointLensError && e.code === 'gguf-values-not-decodable');
  });

  it('block sizes and bits per weight of the ggml types', () => {
    const bpw = (n: string) => bitsPerWeight(ggmlTypeByName(n)!);
    assert.equal(bpw('Q4_0'), 4.5);
    assert.equal(bpw('Q4_K'), 4.5);
    assert.equal(bpw('Q5_K'), 5.5);
    assert.equal(bpw('Q6_K'), 6.5625);
    assert.equal(bpw('Q8_0'), 8.5);
    assert.equal(bpw('Q2_K'), 2.625);
    assert.equal(bpw('IQ2_XXS'), 2.0625);
    assert.equal(bpw('F16'), 16);
    assert.equal(new Set(GGML_TYPES.map((t) => t.id)).size, GGML_TYPES.length);
  });
});

describe('GGUF split sets', () => {
  it('any split opens the whole set as one model with the same tensors as the single file', async () => {
    const single = await open('tiny-llama.gguf');
    for (const f of ['tiny-split-00001-of-00002.gguf', 'tiny-split-00002-of-00002.gguf']) {
      const c = await open(f);
      assert.equal(c.format, 'gguf-split');
      assert.equal(c.files.length, 2);
      assert.deepEqual(c.problems, []);
      assert.deepEqual(c.tensors.map((t) => t.name).sort(), single.tensors.map((t) => t.name).sort());
      assert.equal(c.metadata['general.architecture'], 'llama');
    }
  });

  it('a missing split is reported by the shared assembler (shard-missing)', async () => {
    const dir = tempDir('gguf-split-');
    copyFileSync(join(FIX, 'tiny-split-00001-of-00002.gguf'), join(dir, 'tiny-split-00001-of-00002.gguf'));
    const r = await openCheckpoint(join(dir, 'tiny-split-00001-of-00002.gguf'));
    assert.ok(r.ok);
    assert.deepEqual(r.value.problems.map((p) => p.code).sort(), ['shard-missing']);
    assert.equal(r.value.files.length, 1);
  });

  it('splits in the wrong order (split.no disagrees with the name) and duplicated tensors are errors', async () => {
    const dir = tempDir('gguf-split-');
    copyFileSync(join(FIX, 'tiny-split-00001-of-00002.gguf'), join(dir, 'x-00002-of-00002.gguf'));
    copyFileSync(join(FIX, 'tiny-split-00002-of-00002.gguf'), join(dir, 'x-00001-of-00002.gguf'));
    const r = await openCheckpoint(join(dir, 'x-00001-of-00002.gguf'));
    assert.ok(r.ok);
    assert.ok(r.value.problems.some((p) => p.code === 'gguf-split-mismatch'));
    const dir2 = tempDir('gguf-split-');
    copyFileSync(join(FIX, 'tiny-split-00001-of-00002.gguf'), join(dir2, 'y-00001-of-00002.gguf'));
    copyFileSync(join(FIX, 'tiny-split-00001-of-00002.gguf'), join(dir2, 'y-00002-of-00002.gguf'));
    const r2 = await openCheckpoint(join(dir2, 'y-00001-of-00002.gguf'));
    assert.ok(r2.ok);
    const codes = r2.value.problems.map((p) => p.code);
    assert.ok(codes.includes('duplicate-tensor'), codes.join());
    assert.ok(codes.includes('gguf-split-mismatch'), codes.join());
    assert.ok(codes.includes('gguf-split-tensor-count'), codes.join());
  });
});

describe('GGUF understanding', () => {
  it('llama: architecture, shape, tokenizer, tied output, quantisation-aware counts', async () => {
    const c = await open('tiny-llama.gguf');
    const s = await understandGguf(c);
    assert.equal(s.architecture, 'llama');
    assert.equal(s.fileType, 'MOSTLY_Q8_0');
    assert.deepEqual(s.model, { contextLength: 128, embeddingLength: 64, blockCount: 2, feedForwardLength: 128, headCount: 4, headCountKv: 2, ropeDimensionCount: 16 });
    assert.equal(s.tokenizer?.vocabularySize, 32);
    assert.deepEqual(s.tokenizer?.specialTokens.bos, { id: 1, text: '<s>' });
    assert.deepEqual(s.tokenizer?.tokenTypes, { unknown: 1, control: 2, normal: 29 });
    assert.equal(s.tokenizer?.chatTemplate, true);
    assert.equal(s.layout?.tiedOutput, true);
    assert.deepEqual(s.layout?.missing, []);
    assert.deepEqual(s.layout?.mismatched, []);
    const q40 = s.parameters.byType.find((r) => r.type === 'Q4_0')!;
    // attn_q 64×64 + attn_k 32×64, two blocks
    assert.equal(q40.parameters, 2 * (4096 + 2048));
    assert.equal(q40.bytes, (q40.parameters / 32) * 18);
    assert.equal(q40.bitsPerWeight, 4.5);
    assert.equal(s.parameters.total, c.tensors.reduce((a, t) => a + t.elementCount, 0));
    assert.deepEqual(s.findings.map((f) => f.code), ['gguf-output-tied']);
  });

  it('llama: a missing block tensor and a wrong shape are findings', async () => {
    const c = await open('tiny-llama.gguf');
    const s = await understandGguf(c);
    const tensors = c.tensors.filter((t) => t.name !== 'blk.1.ffn_up.weight').map((t) => (t.name === 'blk.0.attn_k.weight' ? { ...t, shape: [64, 64] } : t));
    const findings: { code: string; severity: string }[] = [];
    const l = checkLlamaLayout(tensors, [], s.model, 32, findings as never);
    assert.deepEqual(l.missing, ['blk.1.ffn_up.weight']);
    assert.deepEqual(l.mismatched, ['blk.0.attn_k.weight']);
    assert.deepEqual(findings.map((f) => [f.code, f.severity]), [['gguf-lm-tensor-missing', 'error'], ['gguf-lm-shape-mismatch', 'error'], ['gguf-output-tied', 'info']]);
    // An unreadable tensor is not "missing" (its own problem says why).
    assert.deepEqual(checkLlamaLayout(tensors, ['blk.1.ffn_up.weight'], s.model, 32, []).missing, []);
  });

  it('mmproj: vision tower, projector, image/patch size; width checked against the language model beside it', async () => {
    const s = await understandGguf(await open('tiny-mmproj.gguf'));
    assert.equal(s.architecture, 'clip');
    assert.equal(s.clip?.hasVisionEncoder, true);
    assert.equal(s.clip?.hasTextEncoder, false);
    assert.equal(s.clip?.projectorType, 'mlp');
    assert.equal(s.clip?.imageSize, 32);
    assert.equal(s.clip?.patchSize, 8);
    assert.equal(s.clip?.projectorOutputWidth, 64);
    assert.match(s.clip?.languageModel?.path ?? '', /tiny-llama\.gguf$/);
    assert.ok(s.findings.some((f) => f.code === 'gguf-mmproj-width-ok'));
  });

  it('mmproj: a projector wider than the language model (--target) is an error; a missing projector too', async () => {
    const wide = await understandGguf(await open('tiny-mmproj-wide.gguf'), { languageModel: join(FIX, 'tiny-llama.gguf') });
    const f = wide.findings.find((x) => x.code === 'gguf-mmproj-width-mismatch');
    assert.equal(f?.severity, 'error');
    assert.match(f!.message, /96.*64/);
    const nomm = await understandGguf(await open('tiny-mmproj-nomm.gguf'), { searchBeside: false });
    assert.equal(nomm.findings.find((x) => x.code === 'gguf-mmproj-no-projector')?.severity, 'error');
    assert.ok(nomm.findings.some((x) => x.code === 'gguf-mmproj-no-language-model'));
  });
});

describe('values (every format)', () => {
  it('dequantised values from an element offset, equal to the whole-tensor read', async () => {
    const c = await open('quants.gguf');
    for (const n of ['q4_k', 'q6_k', 'q5_0', 'bf16', 'f16']) {
      const t = byName(c, n);
      const all = await readTensorFloat32(t);
      const r = await tensorValues(t, 250, 10);
      assert.equal(r.offset, 250);
      assert.deepEqual(r.values, [...all.subarray(250, 260)], n);
      assert.deepEqual(r.shape, [2, 256]);
    }
    const end = await tensorValues(byName(c, 'q8_0'), 510, 100);
    assert.equal(end.values.length, 2);
  });

  it('safetensors too: F16 and BF16 values from an offset, decoded like the whole tensor', async () => {
    const dir = tempDir('values-st-');
    const p = join(dir, 'm.safetensors');
    const f16 = new Uint16Array([0x3c00, 0xc000, 0x3800, 0x7c00, 0x0001, 0x8000]); // 1, -2, 0.5, inf, 2^-24, -0
    const bf16 = new Uint16Array([0x3f80, 0xc040, 0x7fc0]); // 1, -3, NaN
    await writeSafetensors(p, [
      { name: 'h', dtype: 'F16', shape: [2, 3], data: new Uint8Array(f16.buffer) },
      { name: 'b', dtype: 'BF16', shape: [3], data: new Uint8Array(bf16.buffer) },
    ]);
    const r = await openCheckpoint(p);
    assert.ok(r.ok);
    const h = await tensorValues(byName(r.value, 'h'), 1, 4);
    assert.deepEqual(h, { name: 'h', dtype: 'F16', shape: [2, 3], offset: 1, values: [-2, 0.5, 'Infinity', 2 ** -24] });
    const b = await tensorValues(byName(r.value, 'b'), 0, 100);
    assert.deepEqual(b.values, [1, -3, 'NaN']);
    const j = runCli(['values', p, '--tensor', 'h', '--offset', '5', '--json']);
    assert.deepEqual(JSON.parse(j.stdout).values, [0]); // JSON has no -0
  });

  it('CLI: JSON shape, text, unknown tensor, offset out of range, undecodable type', () => {
    const f = join(FIX, 'quants.gguf');
    const j = runCli(['values', f, '--tensor', 'q4_0', '--offset', '3', '--count', '4', '--json']);
    assert.equal(j.code, 0, j.stderr);
    const doc = JSON.parse(j.stdout);
    assert.deepEqual(Object.keys(doc), ['name', 'dtype', 'shape', 'offset', 'values']);
    assert.equal(doc.dtype, 'Q4_0');
    assert.equal(doc.values.length, 4);
    assert.equal(runCli(['values', f, '--tensor', 'nope']).code, 2);
    assert.match(runCli(['values', f, '--tensor', 'q4_0', '--offset', '512']).stderr, /offset-out-of-range/);
    assert.match(runCli(['values', f, '--tensor', 'iq2_xxs']).stderr, /gguf-values-not-decodable/);
    assert.equal(runCli(['values', f]).code, 2);
  });
});

describe('CLI on GGUF: inspect, stats, diff', () => {
  it('inspect text shows the metadata table and the model facts; JSON carries the summary', () => {
    const f = join(FIX, 'tiny-llama.gguf');
    const t = runCli(['inspect', f]);
    assert.equal(t.code, 0, t.stderr);
    assert.match(t.stdout, /Metadata \(GGUF v3, 19 keys, alignment 32\)/);
    assert.match(t.stdout, /\n  key +type +value\n/);
    assert.match(t.stdout, /llama\.attention\.layer_norm_rms_epsilon +f32 +0\.00001\n/);
    assert.match(t.stdout, /tokenizer\.ggml\.tokens +string\[32\] +\[string × 32\] "<unk>"/);
    assert.match(t.stdout, /attn_q\.weight {2}Q4_0 \[64, 64\]/);
    assert.match(t.stdout, /Q4_0 +4 +12,288 +6\.75 KiB +4\.50/);
    const j = runCli(['inspect', f, '--json']);
    const doc = JSON.parse(j.stdout);
    assert.equal(doc.format, 'gguf');
    assert.equal(doc.gguf.architecture, 'llama');
    assert.equal(doc.gguf.parameters.total, doc.parameterCount);
    assert.equal(doc.byteCount, 58496);
    assert.equal(doc.dtypes.Q4_0.parameters, 12288);
    assert.deepEqual(doc.findings.map((x: { code: string }) => x.code), ['gguf-output-tied']);
  });

  it('inspect exits 1 on a projector wider than the --target language model', () => {
    const r = runCli(['inspect', join(FIX, 'tiny-mmproj-wide.gguf'), '--target', join(FIX, 'tiny-llama.gguf')]);
    assert.equal(r.code, 1);
    assert.match(r.stdout, /gguf-mmproj-width-mismatch/);
    assert.match(r.stdout, /projector +mlp, 4 tensors, output width 96/);
  });

  it('stats: dequantised statistics with the stored type; undecodable tensors listed, not fatal', () => {
    const r = runCli(['stats', join(FIX, 'quants.gguf'), '--tensor', 'q4_k', '--tensor', 'iq2_xxs', '--json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout);
    assert.equal(doc.tensors[0].dtype, 'Q4_K');
    assert.equal(doc.tensors[0].count, 512);
    const vals = EXPECTED['quants.gguf']!.tensors.find((t) => t.name === 'q4_k')!.values!;
    assert.equal(doc.tensors[0].min, Math.min(...vals.map(Math.fround)));
    assert.equal(doc.tensors[0].max, Math.max(...vals.map(Math.fround)));
    assert.deepEqual(doc.skipped.map((x: { name: string; code: string }) => [x.name, x.code]), [['iq2_xxs', 'gguf-values-not-decodable']]);
  });

  it('diff GGUF vs GGUF: identical files are equivalent; different values are found', () => {
    const a = join(FIX, 'tiny-llama.gguf');
    assert.equal(runCli(['diff', a, a]).code, 0);
    const r = runCli(['diff', a, join(FIX, 'tiny-split-00001-of-00002.gguf'), '--json']);
    assert.equal(r.code, 1);
    const rep = JSON.parse(r.stdout);
    assert.equal(rep.verdict.equivalent, false);
  });
});

describe('GGUF vs the transformers safetensors it was converted from', () => {
  const g = join(FIX, 'hf/tiny-llama-f32.gguf');
  const st = join(FIX, 'hf/model.safetensors');

  it('names map through the naming scheme and q/k rows are read back in transformers order', async () => {
    const c = await open('hf/tiny-llama-f32.gguf');
    const hf = await openCheckpoint(st);
    assert.ok(hf.ok);
    const view = ggufAsTransformersLlama(c);
    assert.ok(view);
    for (const n of ['model.layers.0.self_attn.q_proj.weight', 'model.layers.0.self_attn.k_proj.weight', 'model.layers.0.mlp.down_proj.weight', 'model.embed_tokens.weight', 'model.norm.weight']) {
      const a = await readTensorFloat32(byName(view.checkpoint, n));
      const b = await readTensorFloat32(byName(hf.value, n));
      assert.deepEqual(a, b, n);
    }
    // The stored GGUF rows really are permuted (so the un-permutation is what makes them equal).
    const raw = await readTensorFloat32(byName(c, 'blk.0.attn_q.weight'));
    const want = await readTensorFloat32(byName(hf.value, 'model.layers.0.self_attn.q_proj.weight'));
    assert.notDeepEqual(raw, want);
    // Partial reads across row boundaries of the permuted view.
    const t = byName(view.checkpoint, 'model.layers.0.self_attn.k_proj.weight');
    const v = await tensorValues(t, 30, 40);
    assert.deepEqual(v.values, [...(await readTensorFloat32(byName(hf.value, 'model.layers.0.self_attn.k_proj.weight'))).subarray(30, 70)]);
  });

  it('diff says equivalent in both directions; with --map none nothing pairs', () => {
    const r = runCli(['diff', g, st]);
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /EQUIVALENT/);
    assert.match(r.stdout, /read in transformers' row order/);
    assert.equal(runCli(['diff', st, g]).code, 0);
    assert.equal(runCli(['diff', g, st, '--map', 'none']).code, 1);
  });
});

