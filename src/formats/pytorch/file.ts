import { readFileHead } from '../../io/fileHead.js';
import { basename } from 'node:path';
import type { Checkpoint } from '../../core/checkpoint.js';
import { problem, type Problem } from '../../core/problems.js';
import { err, ok, readError, type Result } from '../../core/result.js';
import { readSafetensorsFile, singleFileCheckpoint } from '../safetensors/single.js';
import { sniffWrongFile } from '../safetensors/sniff.js';
import { readPytorchLegacy } from './legacy.js';
import { readPytorchZip } from './zipCheckpoint.js';

export type PytorchKind = 'zip' | 'pickle' | 'tar';

/** What the first bytes say, or undefined when it is not a PyTorch container. */
export function sniffPytorch(head: Uint8Array): PytorchKind | undefined {
  if (head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05) && (head[3] === 0x04 || head[3] === 0x06)) return 'zip';
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) return 'pickle';
  if (head.length >= 262 && new TextDecoder('latin1').decode(head.subarray(257, 262)) === 'ustar') return 'tar';
  return undefined;
}

/** Opens a PyTorch checkpoint file (zip, TorchScript, legacy) by its content, whatever its extension. */
export async function readPytorchFile(path: string, shard?: string): Promise<Result<Checkpoint>> {
  const name = shard ?? basename(path);
  const opened = await readFileHead(path, name);
  if (!opened.ok) return opened;
  const { size, head } = opened.value;
  const got = head.length;
  const kind = sniffPytorch(head.subarray(0, got));
  if (kind === 'zip' || kind === 'pickle') {
    const r = await (kind === 'zip' ? readPytorchZip(path, size, name, shard) : readPytorchLegacy(path, size, name, shard));
    return r.ok && /\.safetensors$/i.test(path) ? ok({ ...r.value, problems: [misnamed(name), ...r.value.problems] }) : r;
  }
  if (kind === 'tar') {
    return err(readError('pytorch-legacy-unsupported', `${name} is a tar archive: the PyTorch format older than 0.4, which is not supported. Re-save it with a recent torch.save.`, name));
  }
  const wrong = sniffWrongFile(head.subarray(0, got), size, name);
  if (wrong) return err(wrong);
  // Some tools write safetensors under a .bin name; open it for what it is.
  const st = await readSafetensorsFile(path, shard);
  if (st.ok) return ok(singleFileCheckpoint(st.value));
  // A protocol 0/1 pickle (no PROTO opcode) starts with MARK, GLOBAL or an empty container: it is
  // never loaded, but what it would import is reported.
  if (head[0] !== undefined && '(c}])VSNIi'.includes(String.fromCharCode(head[0]))) {
    const raw = await readPytorchLegacy(path, size, name, shard);
    if (!raw.ok && (raw.error.code === 'pickle-code-execution-attempt' || raw.error.code === 'pickle-unsafe-global')) return raw;
  }
  return err(readError('pytorch-unrecognised', `${name} is neither a PyTorch checkpoint (ZIP or pickle) nor a safetensors file.`, name));
}


/** A pickle-based file named .safetensors: people trust that extension to be pickle-free. */
function misnamed(name: string): Problem {
  return problem(
    'pytorch-misnamed-safetensors',
    'warning',
    `${name} is named .safetensors but is a PyTorch pickle archive; loaders that expect safetensors will fail, and torch.load would unpickle it (Checkpoint Lens read it as data only).`,
    { file: name },
  );
}
