import { readError, type ReadError } from '../../core/result.js';

/**
 * Recognises the files people open by mistake instead of a checkpoint, from their first bytes.
 * Returns undefined when nothing specific is recognised.
 */
export function sniffWrongFile(head: Uint8Array, size: number, file?: string): ReadError | undefined {
  const text = new TextDecoder('latin1').decode(head.subarray(0, 512));
  if (text.startsWith('version https://git-lfs')) {
    const oid = /oid sha256:([0-9a-f]{64})/.exec(text)?.[1];
    const sz = /size (\d+)/.exec(text)?.[1];
    return readError(
      'git-lfs-pointer',
      `This is a Git LFS pointer (${size} bytes), not the checkpoint itself${sz ? ` (the real file is ${sz} bytes` + (oid ? `, sha256 ${oid.slice(0, 12)}…` : '') + ')' : ''}. Run \`git lfs pull\` to fetch it.`,
      file,
    );
  }
  const lower = text.trimStart().toLowerCase();
  if (lower.startsWith('<!doctype html') || lower.startsWith('<html') || lower.startsWith('<?xml') || lower.startsWith('<head')) {
    return readError('html-page', 'This is an HTML/XML page (an error or login page saved instead of the download?), not a checkpoint.', file);
  }
  if (head[0] === 0x50 && head[1] === 0x4b && head[2] === 0x03 && head[3] === 0x04) {
    return readError('pytorch-zip', 'This is a ZIP archive (a PyTorch .bin/.pt checkpoint saved with torch.save?), not a safetensors file.', file);
  }
  if (head[0] === 0x80 && head[1] !== undefined && head[1] >= 2 && head[1] <= 5) {
    return readError('pickle', 'This is a raw pickle (a legacy PyTorch checkpoint?), not a safetensors file.', file);
  }
  if (head[0] === 0x47 && head[1] === 0x47 && head[2] === 0x55 && head[3] === 0x46) {
    return readError('gguf-file', 'This is a GGUF file (llama.cpp), not a safetensors file.', file);
  }
  if (head[0] === 0x1f && head[1] === 0x8b) {
    return readError('gzip', 'This is a gzip-compressed file; decompress it first.', file);
  }
  return undefined;
}
