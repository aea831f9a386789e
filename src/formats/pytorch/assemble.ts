import { plural } from '../../shared/text.js';
import type { Checkpoint, CheckpointFile, CheckpointFormat, TensorInfo, UnreadableTensor } from '../../core/checkpoint.js';
import { problem, type Problem } from '../../core/problems.js';
import { interpret } from './interpret.js';
import { textRecord } from './summarise.js';
import type { Unpickled } from './pickle/unpickler.js';
import { PyTensor, type PyStorage } from './pickle/values.js';
import { pickleSafetyProblems, type ScannedPickle } from './pickleSafety.js';
import { toTensorInfo, type StorageBytes } from './tensorData.js';
import { dtypeBits } from '../../core/dtype.js';


export interface AssembleInput {
  readonly format: CheckpointFormat;
  readonly path: string;
  readonly files: readonly CheckpointFile[];
  readonly pickle: Unpickled;
  /** Bytes of a storage, or why they are unavailable (`broken`: torch.load would fail too, not merely unsupported here). */
  readonly resolve: (s: PyStorage) => StorageBytes | StorageMissing;
  readonly shard?: string;
  readonly problems?: readonly Problem[];
  readonly metadata?: Readonly<Record<string, string>>;
  /** Every pickle of the file, for the global allowlist check (defaults to the main one). */
  readonly scans?: readonly ScannedPickle[];
}

export interface StorageMissing {
  readonly reason: string;
  readonly broken: boolean;
}

/** The common Checkpoint from an unpickled PyTorch object tree and a way to find storage bytes. */
export function assemble(input: AssembleInput): Checkpoint {
  const { pickle, shard } = input;
  const it = interpret(pickle.value);
  const problems: Problem[] = [...(input.problems ?? []), ...pickleSafetyProblems(input.scans ?? [{ where: 'the pickle', policy: pickle.policy }]), ...it.problems];
  const tensors: TensorInfo[] = [];
  const unreadable: UnreadableTensor[] = [];
  const checkedStorages = new Set<string>();
  const sizeMismatch: string[] = [];
  const tooShort: string[] = [];
  /** Tensors torch.load itself could not rebuild (bad arguments, missing or too-short storage, view past its end). */
  const broken: string[] = [];
  for (const { name, value } of it.weights) {
    if (!(value instanceof PyTensor)) {
      if (value.invalid) broken.push(name);
      unreadable.push({ name, rawDtype: value.className, reason: value.invalid ? `${value.className}: ${value.invalid}.` : `it is rebuilt by ${value.className}, which is not supported (quantized, sparse or meta tensor).`, ...(shard ? { shard } : {}) });
      continue;
    }
    const bytes = input.resolve(value.storage);
    if ('reason' in bytes) {
      if (bytes.broken) broken.push(name);
      unreadable.push({ name, rawDtype: value.dtype ?? value.storage.storageType, shape: value.shape, reason: bytes.reason, ...(shard ? { shard } : {}) });
      continue;
    }
    const s = value.storage;
    if (!checkedStorages.has(s.key) && s.dtype !== undefined && s.view === undefined) {
      checkedStorages.add(s.key);
      const declared = s.numel * (dtypeBits(s.dtype) / 8);
      if (declared > bytes.length) tooShort.push(name);
      else if (declared !== bytes.length) sizeMismatch.push(name);
    }
    const t = toTensorInfo(name, value, bytes, shard);
    if ('data' in t) tensors.push(t);
    else {
      if (value.dtype !== undefined) broken.push(name);
      unreadable.push(t);
    }
  }
  const where = shard ? { file: shard } : {};
  if (pickle.badPersistentIds > 0) {
    problems.push(problem('pytorch-persistent-id-invalid', 'error', `The pickle has ${plural(pickle.badPersistentIds, 'persistent id')} that ${pickle.badPersistentIds === 1 ? 'is' : 'are'} not storage records; torch.load fails on them (a corrupt or hand-made file).`, where));
  }
  if (sizeMismatch.length > 0) {
    problems.push(problem('pytorch-storage-size-mismatch', 'warning', `${plural(sizeMismatch.length, 'storage')} ${sizeMismatch.length === 1 ? 'holds' : 'hold'} more bytes than the pickle declares (a hand-edited or corrupt archive).`, { tensors: sizeMismatch.slice(0, 100), ...where }));
  }
  if (tooShort.length > 0) {
    problems.push(problem('pytorch-storage-truncated', 'error', `${plural(tooShort.length, 'storage')} ${tooShort.length === 1 ? 'holds' : 'hold'} fewer bytes than the pickle declares; torch.load fails on them (a truncated or corrupt archive).`, { tensors: tooShort.slice(0, 100), ...where }));
  }
  if (broken.length > 0) {
    problems.push(problem('pytorch-tensor-unloadable', 'error', `${plural(broken.length, 'tensor')} cannot be rebuilt: torch.load would fail on this file (see each tensor's reason under unreadable).`, { tensors: broken.slice(0, 100), ...where }));
  }
  const extras = it.extras;
  return {
    format: input.format,
    path: input.path,
    files: input.files,
    tensors,
    unreadable,
    metadata: Object.assign(textRecord(), input.metadata, it.metadata),
    problems: shard ? problems.map((p) => (p.file ? p : { ...p, file: shard })) : problems,
    ...(Object.keys(extras).length > 0 ? { extras } : {}),
  };
}
