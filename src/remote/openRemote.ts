import type { Checkpoint } from '../core/checkpoint.js';
import { err, readError, type Result } from '../core/result.js';
import { parseRemoteRef } from './ref.js';
import { readFileHead } from '../io/fileHead.js';
import { baseNameOf } from '../io/paths.js';
import { sniffPytorch } from '../formats/pytorch/file.js';


/**
 * A URL where a checkpoint path is accepted: a Hub reference becomes its `resolve` URL (what
 * `path` then shows) and goes through the ordinary openers; a repository is refused with what to
 * do instead; formats whose readers cannot work by ranges (legacy PyTorch) are refused.
 */
export async function openRemoteCheckpoint(input: string, open: (path: string) => Promise<Result<Checkpoint>>): Promise<Result<Checkpoint>> {
  const ref = parseRemoteRef(input);
  if (!ref.ok) return ref;
  const r = ref.value;
  if (r.kind === 'hub-repo') {
    return err(readError('remote-is-repository', `${input} is a repository, not a file: \`checkpoint-lens inspect ${input}\` lists its checkpoints; then pass one file (hf://${r.repo}@${r.revision}/FILE).`));
  }
  const url = r.url;
  // PyTorch ZIP files read by ranges like safetensors; the legacy (pre-1.6, raw pickle) and tar
  // containers need the whole local file, so they are refused by name before anything else.
  // (The head read is cached: the reader's own first read is served from memory.)
  const head = await readFileHead(url, baseNameOf(url));
  if (!head.ok) return head;
  const kind = sniffPytorch(head.value.head);
  if (kind === 'pickle' || kind === 'tar') {
    return err(readError('remote-format-unsupported', `${input} is a legacy PyTorch ${kind === 'tar' ? 'tar' : 'pickle'} checkpoint, which cannot be read by ranges; download it and open the local file.`));
  }
  return open(url);
}
