import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { openCheckpoint } from '../formats/open.js';
import { readTensorBytes, readTensorFloat32 } from '../core/values.js';
import { writeSafetensors } from '../core/writeSafetensors.js';
import { decodeImageFile } from './images.js';
import { applyPreprocess, CLIP_PREPROCESS, type Preprocess } from './preprocess.js';

/** A user probe folder (`--images DIR [--labels FILE]`) and the `--inputs` / `--dump` tensor files. */
export interface LabelledImages {
  readonly labels: readonly string[];
  /** Preprocessed CHW float32 images with their class index. */
  readonly images: readonly { readonly file: string; readonly label: number; readonly pixels: Float32Array }[];
}

export type InputsResult<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

const IMAGE_EXT = new Set(['.png', '.jpg', '.jpeg']);
export const MAX_USER_IMAGES = 10000;

/**
 * One sub-folder per class, named by its label (spaces allowed). With a labels file the classes
 * are exactly its non-empty lines (a label without a folder is a distractor prompt); a folder
 * that is not listed is an error rather than silently dropped.
 */
export async function loadImageFolder(dir: string, size: number, labelsFile?: string, signal?: AbortSignal, prep: Preprocess = CLIP_PREPROCESS): Promise<InputsResult<LabelledImages>> {
  let entries: string[];
  try {
    entries = (await readdir(dir, { withFileTypes: true })).filter((d) => d.isDirectory()).map((d) => d.name).sort();
  } catch (e) {
    return { ok: false, code: 'probe-images-unreadable', message: `cannot list ${dir}: ${(e as Error).message}` };
  }
  let labels: string[];
  if (labelsFile) {
    let text: string;
    try {
      text = await readFile(labelsFile, 'utf8');
    } catch (e) {
      return { ok: false, code: 'probe-labels-unreadable', message: `cannot read ${labelsFile}: ${(e as Error).message}` };
    }
    labels = [...new Set(text.split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0))];
    const extra = entries.filter((e) => !labels.includes(e));
    if (extra.length) return { ok: false, code: 'probe-label-missing', message: `folder(s) ${extra.map((e) => JSON.stringify(e)).join(', ')} are not listed in ${labelsFile}` };
  } else labels = entries;
  if (labels.length < 2) return { ok: false, code: 'probe-too-few-classes', message: `a probe needs at least two classes; ${dir} has ${labels.length}` };
  const images: { file: string; label: number; pixels: Float32Array }[] = [];
  for (const [li, label] of labels.entries()) {
    if (!entries.includes(label)) continue;
    const files = (await readdir(join(dir, label))).filter((f) => IMAGE_EXT.has(extname(f).toLowerCase())).sort();
    for (const f of files) {
      signal?.throwIfAborted();
      if (images.length >= MAX_USER_IMAGES) return { ok: false, code: 'probe-too-many-images', message: `more than ${MAX_USER_IMAGES} images under ${dir}` };
      const file = join(dir, label, f);
      const d = await decodeImageFile(file);
      if (!d.ok) return { ok: false, code: d.code, message: d.message };
      images.push({ file, label: li, pixels: applyPreprocess(d.image, size, prep) });
    }
  }
  if (images.length === 0) return { ok: false, code: 'probe-no-images', message: `no .png/.jpg/.jpeg images in the class folders of ${dir}` };
  return { ok: true, value: { labels, images } };
}

export interface RawInputs {
  readonly pixelValues: Float32Array;
  readonly pixelShape: readonly number[];
  readonly inputIds: BigInt64Array;
  readonly idsShape: readonly number[];
}

/** `--inputs IN.safetensors`: `pixel_values` float32 [N,3,H,W] (normalised) and `input_ids` int64 [M,L]. */
export async function readInputsFile(path: string): Promise<InputsResult<RawInputs>> {
  const r = await openCheckpoint(path);
  if (!r.ok) return { ok: false, code: r.error.code, message: r.error.message };
  const px = r.value.tensors.find((t) => t.name === 'pixel_values');
  const ids = r.value.tensors.find((t) => t.name === 'input_ids');
  if (!px || !ids) return { ok: false, code: 'probe-inputs-missing', message: `${path} must hold tensors pixel_values and input_ids` };
  if (px.shape.length !== 4 || px.shape[1] !== 3 || !['F32', 'F16', 'BF16'].includes(px.dtype)) return { ok: false, code: 'probe-inputs-shape', message: `pixel_values must be a float tensor [N,3,H,W]; it is ${px.dtype} [${px.shape.join(', ')}]` };
  if (ids.shape.length !== 2 || !['I64', 'I32'].includes(ids.dtype)) return { ok: false, code: 'probe-inputs-shape', message: `input_ids must be int64 [M,L]; it is ${ids.dtype} [${ids.shape.join(', ')}]` };
  const budget = 1 << 30;
  if (px.byteLength > budget || ids.byteLength > budget) return { ok: false, code: 'probe-inputs-too-large', message: 'inputs above 1 GiB are not supported' };
  const pixelValues = await readTensorFloat32(px, budget);
  const raw = await readTensorBytes(ids, 0, ids.byteLength);
  const copy = raw.slice();
  const inputIds = ids.dtype === 'I64' ? new BigInt64Array(copy.buffer) : BigInt64Array.from(new Int32Array(copy.buffer), (v) => BigInt(v));
  return { ok: true, value: { pixelValues, pixelShape: px.shape, inputIds, idsShape: ids.shape } };
}

export interface DumpTensors {
  readonly pixelValues: Float32Array;
  readonly n: number;
  readonly imageSize: number;
  readonly inputIds: BigInt64Array;
  readonly m: number;
  readonly contextLength: number;
  readonly imageEmbeds: Float32Array;
  readonly textEmbeds: Float32Array;
  readonly logitsPerImage: Float32Array;
  readonly embedDim: number;
}

const bytes = (a: Float32Array | BigInt64Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

/** `--dump OUT.safetensors`: everything needed to compare with another implementation. */
export async function writeDump(path: string, d: DumpTensors, metadata: Record<string, string>): Promise<void> {
  await writeSafetensors(
    path,
    [
      { name: 'pixel_values', dtype: 'F32', shape: [d.n, 3, d.imageSize, d.imageSize], data: bytes(d.pixelValues) },
      { name: 'input_ids', dtype: 'I64', shape: [d.m, d.contextLength], data: bytes(d.inputIds) },
      { name: 'image_embeds', dtype: 'F32', shape: [d.n, d.embedDim], data: bytes(d.imageEmbeds) },
      { name: 'text_embeds', dtype: 'F32', shape: [d.m, d.embedDim], data: bytes(d.textEmbeds) },
      { name: 'logits_per_image', dtype: 'F32', shape: [d.n, d.m], data: bytes(d.logitsPerImage) },
    ],
    metadata,
  );
}
