import { baseNameOf } from '../../io/paths.js';
import type { Checkpoint, TensorInfo, UnreadableTensor } from '../../core/checkpoint.js';
import type { Problem } from '../../core/problems.js';
import { CheckpointLensError, err, ok, readError, type Result } from '../../core/result.js';
import { readRange } from '../../io/fileRange.js';
import { checkLayout, MAX_HEADER_BYTES, parseHeader, type ParsedHeader } from './header.js';
import { sniffWrongFile } from './sniff.js';
import { readFileHead } from '../../io/fileHead.js';

export interface SafetensorsFile {
  readonly path: string;
  readonly size: number;
  readonly dataStart: number;
  readonly header: ParsedHeader;
  readonly tensors: TensorInfo[];
  readonly unreadable: UnreadableTensor[];
  readonly problems: Problem[];
}

/**
 * Opens one .safetensors file reading only the 8-byte length and the JSON header,
 * whatever the file's size. Returns a ReadError when the file cannot be understood at all.
 */
export async function readSafetensorsFile(path: string, shard?: string): Promise<Result<SafetensorsFile>> {
  const name = shard ?? baseNameOf(path);
  const opened = await readFileHead(path, name);
  if (!opened.ok) return opened;
  const { size, head } = opened.value;
  const wrong = sniffWrongFile(head, size, name);
  if (wrong) return err(wrong);
  if (size < 8) return err(readError('file-too-small', `${name} is ${size} bytes: too small to hold the 8-byte safetensors header length.`, name));

  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_HEADER_BYTES)) {
    return err(readError('header-too-large', `The header claims ${n} bytes, above the 100 MB limit of the safetensors format: the file is corrupt or not safetensors.`, name));
  }
  const headerLength = Number(n);
  if (headerLength === 0) return err(readError('header-start-invalid', 'The header length is 0.', name));
  if (8 + headerLength > size) {
    return err(readError('header-length-exceeds-file', `The header claims ${headerLength} bytes but the file has only ${size - 8} after the length: the file is truncated or not safetensors.`, name));
  }

  let headerBytes: Uint8Array;
  try {
    headerBytes = await readRange(path, 8, 8 + headerLength);
  } catch (e) {
    // Remote sources fail with their own stable codes (remote-*); keep them.
    return err(readError(e instanceof CheckpointLensError ? e.code : 'io-error', `${name}: reading the header failed (${e instanceof CheckpointLensError ? e.message : String(e)}).`, name));
  }
  if (headerBytes.length !== headerLength) return err(readError('header-length-exceeds-file', `${name} shrank while its header was read.`, name));
  const parsed = parseHeader(headerBytes, shard === undefined ? { path } : { path, shard }, name);
  if (!parsed.ok) return parsed;
  return ok(buildFile(path, name, size, parsed.value, shard));
}

function buildFile(path: string, name: string, size: number, header: ParsedHeader, shard: string | undefined): SafetensorsFile {
  const dataStart = 8 + header.headerLength;
  const dataLength = size - dataStart;
  const layout = checkLayout(header, dataLength);
  const unreadable: UnreadableTensor[] = header.bad.map((b) => ({ ...b, ...(shard ? { shard } : {}) }));
  // File order = offset order: that is how users think about a file and how it streams best.
  // The header's entries are already TensorInfo; only a truncated file needs a filtered copy.
  let tensors: TensorInfo[];
  if (layout.outOfBounds.size === 0) {
    tensors = layout.sorted as TensorInfo[];
  } else {
    tensors = [];
    for (const t of layout.sorted) {
      if (layout.outOfBounds.has(t.name)) {
        unreadable.push({ name: t.name, rawDtype: t.dtype, shape: t.shape, reason: 'its bytes lie past the end of the file (truncated).', ...(shard ? { shard } : {}) });
        continue;
      }
      tensors.push(t);
    }
  }
  const problems = [...header.problems, ...layout.problems].map((p) => (shard ? { ...p, file: name } : p));
  return { path, size, dataStart, header, tensors, unreadable, problems };
}

/** A single file as a Checkpoint. */
export function singleFileCheckpoint(f: SafetensorsFile): Checkpoint {
  return {
    format: 'safetensors',
    path: f.path,
    files: [{ path: f.path, size: f.size, dataStart: f.dataStart }],
    tensors: f.tensors,
    unreadable: f.unreadable,
    metadata: f.header.metadata,
    problems: f.problems,
  };
}
