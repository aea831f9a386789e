import type { Checkpoint, CheckpointFile, CheckpointFormat, TensorInfo, UnreadableTensor } from '../../core/checkpoint.js';
import { problem, type Problem } from '../../core/problems.js';
import { interpret } from './interpret.js';
import { textRecord } from './summarise.js';
import type { Unpickled } from './pickle/unpickler.js';
import { storageClass } from './pickle/torchGlobals.js';
import { PyGlobal, PyTensor, type PyStorage } from './pickle/values.js';
import { toTensorInfo, type StorageBytes } from './tensorData.js';
import { dtypeBits } from '../../core/dtype.js';

/** Globals whose meaning we reproduce (anything else in a pickle is reported as opaque). */
const UNDERSTOOD = /^(torch\._utils\._rebuild_(tensor|tensor_v2|tensor_v3|parameter|parameter_with_state)|torch\._tensor\._rebuild_from_type(_v2)?|collections\.(OrderedDict|defaultdict)|torch\.Size|_codecs\.encode|builtins\.(set|frozenset|list|tuple|dict)|__torch__\..*)$/;

export interface AssembleInput {
  readonly format: CheckpointFormat;
  readonly path: string;
  readonly files: readonly CheckpointFile[];
  readonly pickle: Unpickled;
  /** Bytes of a storage, or why they are unavailable. */
  readonly resolve: (s: PyStorage) => StorageBytes | string;
  readonly shard?: string;
  readonly problems?: readonly Problem[];
  readonly metadata?: Readonly<Record<string, string>>;
}

/** The common Checkpoint from an unpickled PyTorch object tree and a way to find storage bytes. */
export function assemble(input: AssembleInput): Checkpoint {
  const { pickle, shard } = input;
  const it = interpret(pickle.value);
  const problems: Problem[] = [...(input.problems ?? []), ...pickleProblems(pickle), ...it.problems];
  const tensors: TensorInfo[] = [];
  const unreadable: UnreadableTensor[] = [];
  const checkedStorages = new Set<string>();
  const sizeMismatch: string[] = [];
  for (const { name, value } of it.weights) {
    if (!(value instanceof PyTensor)) {
      unreadable.push({ name, rawDtype: value.className, reason: value.invalid ? `${value.className}: ${value.invalid}.` : `it is rebuilt by ${value.className}, which is not supported (quantized, sparse or meta tensor).`, ...(shard ? { shard } : {}) });
      continue;
    }
    const bytes = input.resolve(value.storage);
    if (typeof bytes === 'string') {
      unreadable.push({ name, rawDtype: value.dtype ?? value.storage.storageType, shape: value.shape, reason: bytes, ...(shard ? { shard } : {}) });
      continue;
    }
    const s = value.storage;
    if (!checkedStorages.has(s.key) && s.dtype !== undefined && s.view === undefined) {
      checkedStorages.add(s.key);
      if (s.numel * (dtypeBits(s.dtype) / 8) !== bytes.length) sizeMismatch.push(name);
    }
    const t = toTensorInfo(name, value, bytes, shard);
    if ('data' in t) tensors.push(t);
    else unreadable.push(t);
  }
  if (sizeMismatch.length > 0) {
    problems.push(problem('pytorch-storage-size-mismatch', 'warning', `${sizeMismatch.length} storage(s) hold a different number of bytes than the pickle declares (a hand-edited or corrupt archive).`, { tensors: sizeMismatch.slice(0, 100), ...(shard ? { file: shard } : {}) }));
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

function pickleProblems(p: Unpickled): Problem[] {
  const out: Problem[] = [];
  if (p.dangerous.length > 0) {
    out.push(
      problem(
        'pickle-code-execution-attempt',
        'error',
        `The pickle references ${p.dangerous.slice(0, 10).join(', ')}: loading this file with torch.load(weights_only=False) or pickle would run code. Checkpoint Lens never runs pickle code; whatever it lists was read as data only.`,
      ),
    );
  }
  const opaque = [...p.globals.keys()].filter((q) => !UNDERSTOOD.test(q) && !p.dangerous.includes(q) && !storageClass(new PyGlobal(q.slice(0, q.lastIndexOf('.')), q.slice(q.lastIndexOf('.') + 1))) && !/^torch\.[a-z0-9_]+$/.test(q));
  if (opaque.length > 0) {
    out.push(problem('pickle-opaque-object', 'info', `${opaque.length} Python type(s) were kept as inert records, never constructed: ${opaque.slice(0, 10).join(', ')}${opaque.length > 10 ? ', …' : ''}.`));
  }
  return out;
}
