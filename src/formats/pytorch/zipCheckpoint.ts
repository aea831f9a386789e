import { plural } from '../../shared/text.js';
import type { Checkpoint } from '../../core/checkpoint.js';
import { err, ok, readError, type Result } from '../../core/result.js';
import { problem, type Problem } from '../../core/problems.js';
import { assemble, type StorageMissing } from './assemble.js';
import { unpickle } from './pickle/unpickler.js';
import { failedPickleError, type ScannedPickle } from './pickleSafety.js';
import type { PyStorage } from './pickle/values.js';
import type { StorageBytes } from './tensorData.js';
import { InflatedEntryReader, readEntryBytes, readZipIndex, type ZipEntry, type ZipIndex } from './zip.js';

/** data.pkl of a real model is a few MB; far above that is hostile or not a checkpoint. */
export const MAX_PICKLE_BYTES = 512 << 20;

/**
 * Opens a torch.save zip archive (`<name>/data.pkl` + `<name>/data/<key>` storages) or a
 * torch.jit.save TorchScript archive (same plus `code/` and `constants.pkl`; the code is never run,
 * only the module attributes pickled in data.pkl are read).
 */
export async function readPytorchZip(path: string, size: number, name: string, shard?: string): Promise<Result<Checkpoint>> {
  const idx = await readZipIndex(path, size, name);
  if (!idx.ok) return idx;
  const index = idx.value;
  const pkl = findDataPkl(index);
  if (!pkl) {
    return err(readError('pytorch-no-data-pkl', `${name} is a ZIP archive without a data.pkl record: not a PyTorch checkpoint (an .npz or another archive?).`, name));
  }
  const prefix = pkl.name.slice(0, pkl.name.length - 'data.pkl'.length);
  const entry = (n: string) => index.entries.get(prefix + n);
  const isScript = entry('constants.pkl') !== undefined || [...index.entries.keys()].some((k) => k.startsWith(`${prefix}code/`));

  const problems: Problem[] = [];
  const metadata: Record<string, string> = {};
  const version = await smallText(index, entry('version'));
  if (version !== undefined) metadata['pytorch.archive_version'] = version;
  const byteorder = await smallText(index, entry('byteorder'));
  if (byteorder !== undefined) metadata['pytorch.byteorder'] = byteorder;
  const bigEndian = byteorder === 'big';
  if (isScript) {
    const code = [...index.entries.keys()].filter((k) => k.startsWith(`${prefix}code/`) && k.endsWith('.py')).length;
    metadata['pytorch.torchscript_code_files'] = String(code);
    problems.push(problem('torchscript-code-not-run', 'info', `This is a TorchScript archive with ${plural(code, 'code file')}; only the weights are read, the code is never run.`, shard ? { file: shard } : {}));
  }

  if (index.trailingBytes) {
    problems.push(problem('zip-trailing-bytes', 'warning', `${plural(index.trailingBytes, 'byte')} ${index.trailingBytes === 1 ? 'follows' : 'follow'} the end of the ZIP archive; torch.load ignores them, and so does this reader.`, shard ? { file: shard } : {}));
  }
  const bytes = await readEntryBytes(index, pkl, MAX_PICKLE_BYTES);
  if (!bytes.ok) return err({ ...bytes.error, code: bytes.error.code === 'zip-entry-too-large' ? 'pickle-too-large' : bytes.error.code, file: name });
  const parsed = unpickle(bytes.value);
  if (!parsed.ok) return err(failedPickleError(pkl.name, parsed.error, name));
  // Every other pickle of the archive too (TorchScript's constants.pkl, any extra .pkl): torch.jit.load
  // unpickles constants.pkl, and a scanner that reads only data.pkl is what hidden payloads count on.
  const scans: ScannedPickle[] = [{ where: pkl.name, policy: parsed.value.policy }];
  for (const e of index.entries.values()) {
    if (e === pkl || !e.name.endsWith('.pkl')) continue;
    const b = await readEntryBytes(index, e, MAX_PICKLE_BYTES);
    if (!b.ok) {
      problems.push(problem('pickle-not-scanned', 'error', `${e.name} could not be read to check its globals [${b.error.code}]: ${b.error.message}`, shard ? { file: shard } : {}));
      continue;
    }
    const other = unpickle(b.value, 0, { persistentLoad: () => null });
    const policy = other.ok ? other.value.policy : other.error.policy;
    scans.push({ where: e.name, policy });
  }

  const readers = new Map<string, InflatedEntryReader>();
  const resolve = (s: PyStorage): StorageBytes | StorageMissing => {
    if (bigEndian) return { reason: 'it was saved on a big-endian machine; byte-swapping is not supported.', broken: false };
    if (!/^[A-Za-z0-9_.-]+$/.test(s.key) || s.key === '.' || s.key === '..') return { reason: `its storage key ${JSON.stringify(s.key)} is not a plain record name (torch writes decimal keys); it is not looked up.`, broken: true };
    const e = storageEntry(index, prefix, s.key);
    if (!e) return { reason: `its storage ${JSON.stringify(s.key)} is missing from the archive.`, broken: true };
    if (e.method === 0) return { kind: 'file', file: path, offset: e.dataStart, length: e.uncompressedSize };
    let r = readers.get(e.name);
    if (!r) readers.set(e.name, (r = new InflatedEntryReader(path, e)));
    const reader = r;
    return { kind: 'reader', length: e.uncompressedSize, read: (a, b) => reader.read(a, b) };
  };
  const compressed = [...index.entries.values()].filter((e) => e.method !== 0 && e.name.startsWith(`${prefix}data/`)).length;
  if (compressed > 0) {
    problems.push(problem('pytorch-compressed-storages', 'info', `${plural(compressed, 'storage')} ${compressed === 1 ? 'is' : 'are'} deflate-compressed (torch.save stores them uncompressed); their values are read by decompressing, which is slower.`, shard ? { file: shard } : {}));
  }
  return ok(
    assemble({
      format: isScript ? 'torchscript' : 'pytorch-zip',
      path,
      files: [{ path, size }],
      pickle: parsed.value,
      scans,
      resolve,
      ...(shard ? { shard } : {}),
      problems,
      metadata,
    }),
  );
}

/** The archive's `data.pkl`: torch writes exactly one, under a single top-level folder. */
function findDataPkl(index: ZipIndex): ZipEntry | undefined {
  let best: ZipEntry | undefined;
  for (const e of index.entries.values()) {
    if (e.name !== 'data.pkl' && !e.name.endsWith('/data.pkl')) continue;
    const depth = e.name.split('/').length;
    if (depth > 2) continue;
    if (!best || depth < best.name.split('/').length) best = e;
  }
  return best;
}

function storageEntry(index: ZipIndex, prefix: string, key: string): ZipEntry | undefined {
  return index.entries.get(`${prefix}data/${key}`) ?? index.entries.get(`${prefix}.data/${key}`);
}

async function smallText(index: ZipIndex, e: ZipEntry | undefined): Promise<string | undefined> {
  if (!e || e.uncompressedSize > 64) return undefined;
  const r = await readEntryBytes(index, e, 64);
  if (!r.ok) return undefined;
  return new TextDecoder('latin1').decode(r.value).trim().replace(/[^\x20-\x7e]/g, '?');
}
