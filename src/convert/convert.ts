import { plural } from '../shared/text.js';
import { randomBytes } from 'node:crypto';
import { mkdir, realpath, rename, rmdir, stat, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { Checkpoint, TensorInfo } from '../core/checkpoint.js';
import { dtypeBits, type DType } from '../core/dtype.js';
import { encodeFloats, type EncodableDType } from '../core/encode.js';
import { decodeToFloat32 } from '../core/decode.js';
import { readTensorBytes } from '../core/values.js';
import { SafetensorsStreamWriter } from '../core/writeSafetensors.js';
import { openCheckpoint } from '../formats/open.js';
import { FileReaderPool } from '../io/fileRange.js';
import { sidecarHints } from '../probe/sidecarConfig.js';
import { checkAgainstTarget, sourceView, TARGET_FAMILY, type ConvertTargetKind, type TowerId } from './layoutAdapter.js';
import { buildPlan, type AllowTower, type ConvertPlan, type PlanEntry, type Source } from './plan.js';
import { sideConfigFor } from './sideConfigs.js';
import { entryChunks, sourceElement } from './stream.js';
import type { ConvertError } from './types.js';

/**
 * `convert`: writes a checkpoint in another CLIP layout (open_clip, transformers, timm), filling
 * what the input lacks from donors, streamed tensor by tensor in bounded memory. The file is
 * written under a temporary name in the output folder, verified (re-opened, checked complete for
 * the target, values spot-checked against the sources), and only then renamed into place; on any
 * error or cancellation nothing is left behind. No `vscode` import (CLI, editor, worker).
 */
export const TOOL_VERSION = 'checkpoint-lens 0.1.0';

export interface ConvertOptions {
  readonly input: string;
  readonly to: ConvertTargetKind;
  /** A file (`….safetensors`) or a folder (created; the file gets the target's usual name). */
  readonly output: string;
  readonly donors?: readonly string[];
  readonly dtype?: 'F32' | 'F16' | 'BF16';
  readonly allowMissing?: readonly AllowTower[];
  /** Replace an existing output file. */
  readonly force?: boolean;
  /** Spot-checked elements per tensor (default 4). */
  readonly samplesPerTensor?: number;
  readonly chunkBytes?: number;
  readonly bandBytes?: number;
}

export interface ConvertProgress {
  readonly tensorsDone: number;
  readonly tensorsTotal: number;
  readonly bytesDone: number;
  readonly bytesTotal: number;
  readonly current?: string;
}

export interface ConvertControl {
  readonly signal?: AbortSignal;
  readonly onProgress?: (p: ConvertProgress) => void;
}

export interface ConvertReport {
  readonly output: string;
  readonly sideConfig: string | null;
  readonly target: ConvertTargetKind;
  readonly family: string;
  readonly config: string;
  readonly sources: { label: string; path: string; family: string }[];
  readonly tensors: number;
  readonly bytes: number;
  readonly byTower: Record<string, { tensors: number; from: Record<string, number> }>;
  /** Tensors by operation: copied, sliced (q/k/v split), concatenated, transposed, zeros, cast. */
  readonly operations: Record<string, number>;
  readonly omitted: { name: string; tower: TowerId }[];
  readonly dropped: { tower: TowerId; count: number; examples: string[] }[];
  readonly verification: { complete: boolean; missing: string[]; unexpected: string[]; mismatched: string[]; spotChecks: number; spotMismatches: number };
  readonly notes: string[];
  readonly assumed: string[];
}

export type ConvertResult = { ok: true; report: ConvertReport } | { ok: false; error: ConvertError };

const DEFAULT_NAME: Record<ConvertTargetKind, string> = { hf: 'model.safetensors', openclip: 'open_clip_model.safetensors', timm: 'model.safetensors' };
const failure = (code: string, message: string, extra: Partial<ConvertError> = {}): ConvertResult => ({ ok: false, error: { code, message, ...extra } });

export async function convertCheckpoint(o: ConvertOptions, control: ConvertControl = {}): Promise<ConvertResult> {
  const signal = control.signal;
  // Inputs
  const sources: Source[] = [];
  const paths = [o.input, ...(o.donors ?? [])];
  for (let i = 0; i < paths.length; i++) {
    const path = resolve(paths[i]!);
    const r = await openCheckpoint(path);
    const label = i === 0 ? 'in' : `donor${i}`;
    if (!r.ok) return failure(i === 0 ? 'convert-input-unreadable' : 'convert-donor-unreadable', `${path}: ${r.error.code}: ${r.error.message}`);
    const ck = r.value;
    if (ck.unreadable.length) {
      const u = ck.unreadable[0]!;
      return failure(i === 0 ? 'convert-input-unreadable' : 'convert-donor-unreadable', `${path}: ${plural(ck.unreadable.length, 'tensor')} cannot be read (first: ${u.name}: ${u.reason})`);
    }
    const bad = ck.problems.find((p) => p.severity === 'error');
    if (bad) return failure(i === 0 ? 'convert-input-unreadable' : 'convert-donor-unreadable', `${path}: ${bad.code}: ${bad.message}`);
    sources.push({ label, path, ckpt: ck, sv: sourceView(ck), hints: await sidecarHints(dirname(path)) });
  }
  signal?.throwIfAborted();

  // Plan (headers only)
  const planned = buildPlan(o.to, sources, { ...(o.dtype ? { dtype: o.dtype } : {}), allowMissing: new Set(o.allowMissing ?? []) });
  if (!planned.ok) return planned;
  const plan = planned.plan;

  // Output path: never over an input, never over an existing file unless --force.
  const out = await outputPath(o.output, o.to);
  const inputFiles = new Set<string>();
  for (const s of sources) for (const f of s.ckpt.files) inputFiles.add(await realpath(f.path).catch(() => f.path));
  if (inputFiles.has(await realpath(out).catch(() => out)) || inputFiles.has(out)) return failure('convert-output-is-input', `${out} is one of the inputs; write the converted file elsewhere`);
  if ((await exists(out)) && !o.force) return failure('convert-output-exists', `${out} already exists; pass --force to replace it, or choose another -o`);
  const side = sideConfigFor(plan, dtypeName(plan));
  const sidePath = side ? join(dirname(out), side.fileName) : null;
  if (sidePath && sources.some((s) => dirname(s.path) === dirname(out))) {
    // A config.json / open_clip_config.json there would describe the converted file but be read as the input's.
    return failure('convert-output-conflict', `${side!.fileName} for the converted file would go beside an input (${dirname(out)}), where tools would read it as the input's config; write the output to another folder`);
  }

  const createdDirs = await makeDirs(dirname(out));
  const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const tmpSide = sidePath ? `${sidePath}.${process.pid}.${randomBytes(4).toString('hex')}.tmp` : null;
  let writer: SafetensorsStreamWriter | undefined;
  try {
    writer = await SafetensorsStreamWriter.create(
      tmp,
      plan.entries.map((e) => ({ name: e.name, dtype: e.dtype, shape: e.shape })),
      provenance(plan, sources),
    );
    const bytesTotal = writer.layout.size - writer.layout.dataStart;
    let bytesDone = 0;
    for (let i = 0; i < plan.entries.length; i++) {
      const e = plan.entries[i]!;
      control.onProgress?.({ tensorsDone: i, tensorsTotal: plan.entries.length, bytesDone, bytesTotal, current: e.name });
      await writer.writeTensor(entryChunks(e, { ...(o.chunkBytes ? { chunkBytes: o.chunkBytes } : {}), ...(o.bandBytes ? { bandBytes: o.bandBytes } : {}), ...(signal ? { signal } : {}) }));
      bytesDone += writer.layout.placed[i]!.length;
      signal?.throwIfAborted();
    }
    await writer.finish();
    writer = undefined;
    control.onProgress?.({ tensorsDone: plan.entries.length, tensorsTotal: plan.entries.length, bytesDone, bytesTotal });

    const verification = await verify(tmp, plan, o.samplesPerTensor ?? 4, signal);
    if (!verification.complete || verification.spotMismatches) {
      throw new ConvertFailure('convert-verify-failed', `the written file does not check out: ${[...verification.missing.map((n) => `missing ${n}`), ...verification.unexpected.map((n) => `unexpected ${n}`), ...verification.mismatched.map((n) => `mismatched ${n}`), ...(verification.spotMismatches ? [`${verification.spotMismatches} spot-checked values differ from the sources`] : [])].slice(0, 8).join('; ')}`);
    }
    if (tmpSide && side) await writeFile(tmpSide, JSON.stringify(side.json, null, 2) + '\n', { flag: 'wx' });
    signal?.throwIfAborted();
    await rename(tmp, out);
    if (tmpSide && sidePath) {
      try {
        await rename(tmpSide, sidePath);
      } catch (e) {
        await unlink(out).catch(() => undefined);
        throw e;
      }
    }
    return { ok: true, report: report(plan, sources, out, sidePath, writer ? 0 : bytesTotal, verification) };
  } catch (e) {
    await writer?.abandon();
    await unlink(tmp).catch(() => undefined);
    if (tmpSide) await unlink(tmpSide).catch(() => undefined);
    // Folders this run created, if they are still empty (never anything else).
    for (const d of createdDirs) await rmdir(d).catch(() => undefined);
    if (e instanceof ConvertFailure) return failure(e.code, e.message);
    if (signal?.aborted) return failure('convert-interrupted', 'interrupted; no output was written');
    const msg = e instanceof Error ? e.message : String(e);
    const code = (e as { code?: unknown }).code;
    return failure('convert-write-failed', `${typeof code === 'string' ? `${code}: ` : ''}${msg}; no output was written`);
  }
}

class ConvertFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

async function exists(p: string): Promise<boolean> {
  return stat(p).then(
    () => true,
    () => false,
  );
}

/** Where the file goes (`-o` file or folder), without creating anything yet. */
async function outputPath(o: string, kind: ConvertTargetKind): Promise<string> {
  const p = resolve(o);
  const st = await stat(p).catch(() => undefined);
  if (p.endsWith('.safetensors') && !st?.isDirectory()) return p;
  return join(p, DEFAULT_NAME[kind]);
}

/** Creates `dir` (and parents); returns the folders it created, deepest first, so a failure can remove them again. */
async function makeDirs(dir: string): Promise<string[]> {
  const created: string[] = [];
  for (let d = dir; !(await exists(d)); d = dirname(d)) {
    created.push(d);
    if (dirname(d) === d) break;
  }
  await mkdir(dir, { recursive: true });
  return created;
}

function dtypeName(plan: ConvertPlan): string {
  const counts = new Map<DType, number>();
  for (const e of plan.entries) counts.set(e.dtype, (counts.get(e.dtype) ?? 0) + e.shape.reduce((a, b) => a * b, 1));
  const top = [...counts].sort((a, b) => b[1] - a[1])[0]?.[0] ?? 'F32';
  return top === 'F16' ? 'float16' : top === 'BF16' ? 'bfloat16' : 'float32';
}

/** `__metadata__` (string → string): sources, per-tensor transform, tool version. */
function provenance(plan: ConvertPlan, sources: readonly Source[]): Record<string, string> {
  const transforms: Record<string, string> = {};
  for (const e of plan.entries) transforms[e.name] = e.dtype !== e.srcDtype ? `${e.provenance} cast ${e.srcDtype}→${e.dtype}` : e.provenance;
  return {
    format: 'pt',
    'checkpoint_lens.tool': TOOL_VERSION,
    'checkpoint_lens.target': `${plan.kind} (${TARGET_FAMILY[plan.kind]}, ${plan.derived.cfg.name})`,
    'checkpoint_lens.sources': JSON.stringify(sources.map((s) => ({ label: s.label, file: basename(s.path), family: s.sv.view.family }))),
    'checkpoint_lens.transforms': JSON.stringify(transforms),
  };
}

async function verify(path: string, plan: ConvertPlan, samples: number, signal?: AbortSignal): Promise<ConvertReport['verification']> {
  const r = await openCheckpoint(path);
  if (!r.ok) throw new ConvertFailure('convert-verify-failed', `the written file does not re-open: ${r.error.code}: ${r.error.message}`);
  const written = r.value;
  const sv = sourceView(written);
  const omitted = new Set(plan.omitted.map((x) => x.name));
  const cmp = checkAgainstTarget(plan.kind, plan.derived.cfg, plan.specs, sv);
  const missing = cmp.missing.map((m) => m.name).filter((n) => !omitted.has(n));
  const unexpected = cmp.unexpected.map((u) => u.name);
  const mismatched = cmp.mismatched.map((m) => m.name);
  const byName = new Map(written.tensors.map((t) => [t.name, t]));
  let spotChecks = 0;
  let spotMismatches = 0;
  const pool = new FileReaderPool();
  try {
    for (const e of plan.entries) {
      signal?.throwIfAborted();
      const t = byName.get(e.name);
      if (!t || t.dtype !== e.dtype) {
        mismatched.push(e.name);
        continue;
      }
      for (const k of sampleIndices(t.elementCount, samples, e.name)) {
        spotChecks++;
        if (!(await sameElement(t, k, e, pool))) spotMismatches++;
      }
    }
  } finally {
    await pool.close();
  }
  return { complete: missing.length === 0 && unexpected.length === 0 && mismatched.length === 0, missing, unexpected, mismatched, spotChecks, spotMismatches };
}

function sampleIndices(n: number, k: number, name: string): number[] {
  if (n === 0) return [];
  const out = new Set<number>([0, n - 1]);
  let h = 2166136261;
  for (let i = 0; i < name.length; i++) h = Math.imul(h ^ name.charCodeAt(i), 16777619) >>> 0;
  for (let i = 0; out.size < Math.min(n, k) && i < 4 * k; i++) {
    h = Math.imul(h ^ (h >>> 13), 0x5bd1e995) >>> 0;
    out.add(h % n);
  }
  return [...out];
}

async function sameElement(t: TensorInfo, k: number, e: PlanEntry, pool: FileReaderPool): Promise<boolean> {
  const wOut = dtypeBits(e.dtype) / 8;
  if (!Number.isInteger(wOut)) return true; // sub-byte dtypes are copied whole; nothing to sample per element
  const got = await readTensorBytes(t, k * wOut, (k + 1) * wOut, pool);
  const src = sourceElement(e, k);
  let want: Uint8Array;
  if (src === 'zero') want = new Uint8Array(wOut);
  else {
    const wIn = dtypeBits(e.srcDtype) / 8;
    const raw = await readTensorBytes(src.src, src.element * wIn, (src.element + 1) * wIn, pool);
    want = e.dtype === e.srcDtype ? raw : encodeFloats(decodeToFloat32(e.srcDtype, raw), e.dtype as EncodableDType);
  }
  return got.length === want.length && got.every((b, i) => b === want[i]);
}

function report(plan: ConvertPlan, sources: readonly Source[], out: string, side: string | null, bytes: number, verification: ConvertReport['verification']): ConvertReport {
  const byTower: ConvertReport['byTower'] = {};
  const operations: Record<string, number> = {};
  for (const e of plan.entries) {
    const t = (byTower[e.tower] ??= { tensors: 0, from: {} });
    t.tensors++;
    const from = e.from === null ? 'derived' : sources[e.from]!.label;
    t.from[from] = (t.from[from] ?? 0) + 1;
    const op = e.op.kind === 'zeros' ? 'zeros' : e.op.kind === 'transpose' ? 'transposed' : e.op.slices.length > 1 ? 'concatenated' : e.op.slices[0]!.start > 0 || e.op.slices[0]!.end < e.op.slices[0]!.src.byteLength ? 'sliced' : 'copied';
    operations[op] = (operations[op] ?? 0) + 1;
    if (e.dtype !== e.srcDtype) operations[`cast ${e.srcDtype}→${e.dtype}`] = (operations[`cast ${e.srcDtype}→${e.dtype}`] ?? 0) + 1;
  }
  const dropMap = new Map<TowerId, string[]>();
  for (const d of plan.dropped) {
    const l = dropMap.get(d.tower) ?? [];
    l.push(d.name);
    dropMap.set(d.tower, l);
  }
  return {
    output: out,
    sideConfig: side,
    target: plan.kind,
    family: TARGET_FAMILY[plan.kind],
    config: plan.derived.cfg.name,
    sources: sources.map((s) => ({ label: s.label, path: s.path, family: s.sv.view.family })),
    tensors: plan.entries.length,
    bytes,
    byTower,
    operations,
    omitted: plan.omitted,
    dropped: [...dropMap].map(([tower, names]) => ({ tower, count: names.length, examples: names.slice(0, 3) })),
    verification,
    notes: [
      ...plan.notes,
      ...plan.derived.sources,
      ...(plan.kind === 'openclip' && !side ? ['open_clip_config.json not written: head counts or activation are not known from a config file or a named configuration (open_clip needs them; pass a model name to create_model)'] : []),
      ...(plan.kind === 'hf' && side && basename(out) !== 'model.safetensors' ? ['from_pretrained(dir) looks for model.safetensors; rename the file or pass its path'] : []),
      ...(plan.kind === 'timm' ? ['timm holds the image tower only'] : []),
    ],
    assumed: plan.kind === 'timm' ? plan.derived.assumed.filter((a) => !a.startsWith('text')) : plan.derived.assumed,
  };
}

export type { Checkpoint };
