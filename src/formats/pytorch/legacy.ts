import { openRegular } from '../../io/openRegular.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import { dtypeBits } from '../../core/dtype.js';
import { problem } from '../../core/problems.js';
import { err, ok, readError, type ReadError, type Result } from '../../core/result.js';
import { assemble, type StorageMissing } from './assemble.js';
import { policyHasErrors, unpickle, type UnpickleError, type Unpickled } from './pickle/unpickler.js';
import { failedPickleError, pickleSafetyProblems, type ScannedPickle } from './pickleSafety.js';
import { persistentLoad, storageElementBytes } from './pickle/torchGlobals.js';
import { PyDict, PyList, PyStorage, PyTuple, type PyValue } from './pickle/values.js';
import type { StorageBytes } from './tensorData.js';
import { MAX_PICKLE_BYTES } from './zipCheckpoint.js';

const LEGACY_MAGIC = 0x1950a86a20f9469cfc6cn;
const LEGACY_PROTOCOL = 1001;

/**
 * The pre-1.6 torch.save format: five concatenated pickles (magic number, protocol version,
 * sys_info, the object with storage persistent ids, the sorted storage keys), then for each key
 * an int64 element count and the raw storage bytes. Storage bytes are addressed in place.
 * The even older tar-based format is refused with `pytorch-legacy-unsupported`.
 */
export async function readPytorchLegacy(path: string, size: number, name: string, shard?: string): Promise<Result<Checkpoint>> {
  const fh = await openRegular(path);
  try {
    // Pickles come first and are small next to the storages: read a growing prefix until they parse.
    let headLen = Math.min(size, 1 << 20);
    for (;;) {
      const head = Buffer.alloc(headLen);
      await fh.read(head, 0, headLen, 0);
      const r = parseHeader(head, name, headLen >= size);
      if (r.ok || r.error.code !== 'pickle-truncated' || headLen >= size) {
        if (!r.ok) return err({ ...r.error, code: r.error.code === 'pickle-truncated' ? 'pytorch-legacy-truncated' : r.error.code, file: name });
        return ok(await layout(fh, path, size, name, r.value, shard));
      }
      if (headLen >= MAX_PICKLE_BYTES) return err(readError('pickle-too-large', `The pickles of ${name} exceed ${MAX_PICKLE_BYTES} bytes; refused.`, name));
      headLen = Math.min(size, headLen * 4, MAX_PICKLE_BYTES);
    }
  } catch (e) {
    return err(readError('io-error', `${name} cannot be read (${e instanceof Error ? e.message : String(e)}).`, name));
  } finally {
    await fh.close();
  }
}

interface LegacyHeader {
  readonly littleEndian: boolean;
  readonly data: Unpickled;
  readonly keys: string[];
  /** Offset of the first storage record. */
  readonly storagesStart: number;
  /** Element width (bytes) of each storage key, from the storage types in the persistent ids. */
  readonly widths: Map<string, number>;
  /** The globals of all five pickles. */
  readonly scans: readonly ScannedPickle[];
}

function parseHeader(head: Uint8Array, name: string, final: boolean): Result<LegacyHeader> {
  const scans: ScannedPickle[] = [];
  /** A failure after an unsafe global was named reports the global (Python imported it before failing). */
  const fail = (e: ReadError | UnpickleError, where: string): Result<never> => {
    if ('policy' in e) scans.push({ where, policy: e.policy });
    const bad = scans.find((x) => policyHasErrors(x.policy));
    if (bad && (e.code !== 'pickle-truncated' || final)) {
      const unsafe = pickleSafetyProblems(scans).filter((p) => p.severity === 'error');
      return err(readError(unsafe[0]!.code, `${unsafe.map((p) => p.message).join(' ')} The file is then refused [${e.code}]: ${e.message}`, name));
    }
    if ('policy' in e && e.code !== 'pickle-truncated') return err(failedPickleError(where, e, name));
    return err(e);
  };
  const magic = unpickle(head, 0);
  if (!magic.ok) return magic.error.code === 'pickle-truncated' && !final ? magic : fail({ ...magic.error, code: 'pytorch-legacy-unsupported', message: `${name} starts with a pickle that is not a PyTorch legacy checkpoint (${magic.error.message}).` }, 'the first pickle');
  scans.push({ where: 'the legacy magic-number pickle', policy: magic.value.policy });
  if (magic.value.value !== LEGACY_MAGIC && magic.value.value !== Number(LEGACY_MAGIC)) {
    return fail(readError('pytorch-legacy-unsupported', `${name} is a raw pickle without the PyTorch magic number: not a torch.save checkpoint (a plain pickle is never loaded).`, name), '');
  }
  const proto = unpickle(head, magic.value.end);
  if (!proto.ok) return fail(proto.error, 'the legacy protocol pickle');
  scans.push({ where: 'the legacy protocol pickle', policy: proto.value.policy });
  if (proto.value.value !== LEGACY_PROTOCOL) return fail(readError('pytorch-legacy-unsupported', `${name} uses legacy protocol ${String(proto.value.value)}; only ${LEGACY_PROTOCOL} is supported.`, name), '');
  const sys = unpickle(head, proto.value.end);
  if (!sys.ok) return fail(sys.error, 'the legacy sys_info pickle');
  scans.push({ where: 'the legacy sys_info pickle', policy: sys.value.policy });
  const littleEndian = !(sys.value.value instanceof PyDict && sys.value.value.get('little_endian') === false);
  const widths = new Map<string, number>();
  const data = unpickle(head, sys.value.end, {
    persistentLoad: (pid: PyValue) => {
      const s = persistentLoad(pid);
      if (s instanceof PyStorage) widths.set(s.view?.rootKey ?? s.key, storageElementBytes(s.storageType));
      return s;
    },
  });
  if (!data.ok) return fail(data.error, 'the main pickle');
  scans.push({ where: 'the main pickle', policy: data.value.policy });
  const keysP = unpickle(head, data.value.end);
  if (!keysP.ok) return fail(keysP.error, 'the legacy storage-keys pickle');
  scans.push({ where: 'the legacy storage-keys pickle', policy: keysP.value.policy });
  const kv = keysP.value.value;
  const keys = (kv instanceof PyList || kv instanceof PyTuple ? kv.items : []).filter((k): k is string => typeof k === 'string');
  return ok({ littleEndian, data: data.value, keys, storagesStart: keysP.value.end, widths, scans });
}

async function layout(fh: import('node:fs/promises').FileHandle, path: string, size: number, name: string, h: LegacyHeader, shard: string | undefined): Promise<Checkpoint> {
  const regions = new Map<string, { offset: number; length: number }>();
  let pos = h.storagesStart;
  let stopped: string | undefined;
  const numelBuf = Buffer.alloc(8);
  for (const key of h.keys) {
    const width = h.widths.get(key);
    if (width === undefined) {
      stopped = `storage ${JSON.stringify(key)} has an unknown element type, so the storages after it cannot be located.`;
      break;
    }
    if (pos + 8 > size) {
      stopped = 'the file ends before all storages (truncated).';
      break;
    }
    await fh.read(numelBuf, 0, 8, pos);
    const numel = numelBuf.readBigInt64LE(0);
    const length = Number(numel) * width;
    if (numel < 0n || !Number.isSafeInteger(length) || pos + 8 + length > size) {
      stopped = 'the file ends before all storages (truncated).';
      break;
    }
    regions.set(key, { offset: pos + 8, length });
    pos += 8 + length;
  }
  const resolve = (s: PyStorage): StorageBytes | StorageMissing => {
    if (!h.littleEndian) return { reason: 'it was saved on a big-endian machine; byte-swapping is not supported.', broken: false };
    const root = regions.get(s.view?.rootKey ?? s.key);
    if (!root) return { reason: stopped ?? `its storage ${JSON.stringify(s.key)} is not in the file.`, broken: true };
    if (!s.view) return { kind: 'file', file: path, ...root };
    const width = storageElementBytes(s.storageType);
    const offset = s.view.offset * width;
    const length = s.numel * width;
    if (offset + length > root.length) return { reason: 'its storage view lies outside its root storage.', broken: true };
    return { kind: 'file', file: path, offset: root.offset + offset, length };
  };
  const problems = stopped ? [problem('pytorch-legacy-truncated', 'error', `${name}: ${stopped}`, shard ? { file: shard } : {})] : [];
  return assemble({
    problems,
    format: 'pytorch-legacy',
    path,
    files: [{ path, size }],
    pickle: h.data,
    scans: h.scans,
    resolve,
    ...(shard ? { shard } : {}),
    metadata: { 'pytorch.legacy_protocol': String(LEGACY_PROTOCOL) },
  });
}
