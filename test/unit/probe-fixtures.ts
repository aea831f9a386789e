import { writeSafetensors, type TensorToWrite } from '../../src/core/writeSafetensors.js';
import { readTensorBytes, readTensorFloat32 } from '../../src/core/values.js';
import { openCheckpoint } from '../../src/formats/open.js';
import type { TowerId } from '../../src/layouts/canonicalLayout.js';
import { familyLayout, type FamilyId } from '../../src/layouts/canonical.js';
import { expectedTensors, type ProbeModelConfig } from '../../src/probe/modelConfig.js';
import type { ResolvedWeight } from '../../src/probe/resolveWeights.js';
import { encodeFloats, syntheticValues, type SyntheticDtype } from '../../src/probe/syntheticCheckpoint.js';

/**
 * Tiny CLIP checkpoints in any supported layout, written from canonical values by moving the
 * bytes the way each layout stores them (transpose, leading 1-dims, q/k/v split). The probe must
 * read them back to the same canonical model.
 */
export async function writeLayoutFixture(path: string, cfg: ProbeModelConfig, family: FamilyId, dtype: SyntheticDtype, omit: readonly ('text' | 'vision')[] = []): Promise<void> {
  const specs = expectedTensors(cfg)
    .filter((e) => !omit.includes(e.tower as 'text' | 'vision'))
    .map((e) => ({ name: e.name, shape: e.shape, tower: (e.tower === 'shared' ? 'projection' : e.tower) as TowerId }));
  const values = new Map(specs.map((s, i) => [s.name, syntheticValues(s.name, s.shape.reduce((a, b) => a * b, 1), 11 + i, s.shape)]));
  const local = familyLayout(family, specs, cfg.embedDim);
  const tensors: TensorToWrite[] = [];
  for (const l of local) {
    const dt = l.canonical === 'logit_scale' ? 'F32' : dtype;
    if (l.canonical === null) {
      // Local-only extras (timm head.bias): non-zero, so a probe that ignored them would be caught.
      tensors.push({ name: l.name, dtype: dt, shape: l.shape, data: encodeFloats(syntheticValues(l.name, l.shape.reduce((a, b) => a * b, 1), 5, l.shape), dt) });
      continue;
    }
    const v = values.get(l.canonical)!;
    const canonShape = specs.find((s) => s.name === l.canonical)!.shape;
    let out: Float32Array;
    if (l.transform === 'transpose') out = transpose2d(v, canonShape[0]!, canonShape[1]!);
    else if (l.transform === 'concat0') {
      const rows = canonShape[0]! / 3;
      const rowLen = v.length / canonShape[0]!;
      out = v.slice(l.part! * rows * rowLen, (l.part! + 1) * rows * rowLen);
    } else out = v;
    tensors.push({ name: l.name, dtype: dt, shape: l.shape, data: encodeFloats(out, dt) });
  }
  await writeSafetensors(path, tensors, { format: 'pt' });
}

function transpose2d(v: Float32Array, r: number, c: number): Float32Array {
  const out = new Float32Array(v.length);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = v[i * c + j]!;
  return out;
}

/**
 * Canonical float values of a resolved weight, computed independently of the graph: sources
 * decoded in JS, then transposed / concatenated in JS.
 */
export async function canonicalValues(w: ResolvedWeight): Promise<Float32Array> {
  if (w.kind === 'random') return w.values;
  const cw = w.weight;
  const parts = await Promise.all(cw.sources.map((s) => readTensorFloat32(s)));
  switch (cw.transform) {
    case 'identity':
    case 'reshape':
      return parts[0]!;
    case 'transpose': {
      const s = cw.sources[0]!.shape;
      return transpose2d(parts[0]!, s[0]!, s[1]!);
    }
    case 'patch-hwc': {
      // [D, p·p·C] flattened as (row, column, channel) → Conv [D, C, p, p].
      const [d, c, p, q] = w.shape as [number, number, number, number];
      const src = parts[0]!;
      const out = new Float32Array(src.length);
      for (let o = 0; o < d; o++) for (let ch = 0; ch < c; ch++) for (let y = 0; y < p; y++) for (let x = 0; x < q; x++) out[((o * c + ch) * p + y) * q + x] = src[o * p * q * c + (y * q + x) * c + ch]!;
      return out;
    }
    case 'concat0': {
      const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
      let o = 0;
      for (const p of parts) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    }
  }
}

/** Deterministic pixel values and EOT-terminated token rows for n images and m prompts. */
export function fixtureInputs(cfg: ProbeModelConfig, n: number, m: number): { pixels: Float32Array; ids: BigInt64Array } {
  const S = cfg.vision.imageSize;
  const L = cfg.text.contextLength;
  const V = cfg.text.vocabSize;
  const pixels = new Float32Array(n * 3 * S * S).map((_, i) => Math.sin(i * 0.37) * 1.5);
  const ids = new BigInt64Array(m * L);
  for (let j = 0; j < m; j++) {
    ids[j * L] = BigInt(V - 2);
    const len = 1 + (j % (L - 3));
    for (let k = 1; k <= len; k++) ids[j * L + k] = BigInt(((j * 7 + k * 13) % (V - 3)) + 1);
    ids[j * L + len + 1] = BigInt(V - 1);
  }
  return { pixels, ids };
}

export function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

/** Every tensor of a reference file written by a Python generator: I64 ids as BigInt64Array, the rest as float32. */
export async function readExpectedTensors(path: string): Promise<Map<string, Float32Array | BigInt64Array>> {
  const r = await openCheckpoint(path);
  if (!r.ok) throw new Error(`${path}: ${r.error.code}: ${r.error.message}`);
  const out = new Map<string, Float32Array | BigInt64Array>();
  for (const t of r.value.tensors) {
    if (t.dtype === 'I64') out.set(t.name, new BigInt64Array((await readTensorBytes(t, 0, t.byteLength)).slice().buffer));
    else out.set(t.name, await readTensorFloat32(t));
  }
  return out;
}
