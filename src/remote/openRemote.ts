import type { Checkpoint } from '../core/checkpoint.js';
import { err, readError, type Result } from '../core/result.js';
import { parseRemoteRef } from './ref.js';

const PYTORCH_NAME = /\.(bin|pt|pth|ckpt|pkl|tar)$|\.bin\.index\.json$/i;

/**
 * A URL where a checkpoint path is accepted: a Hub reference becomes its `resolve` URL (what
 * `path` then shows) and goes through the ordinary openers; a repository is refused with what to
 * do instead; formats whose readers cannot work by ranges yet are refused by name.
 */
export async function openRemoteCheckpoint(input: string, open: (path: string) => Promise<Result<Checkpoint>>): Promise<Result<Checkpoint>> {
  const ref = parseRemoteRef(input);
  if (!ref.ok) return ref;
  const r = ref.value;
  if (r.kind === 'hub-repo') {
    return err(readError('remote-is-repository', `${input} is a repository, not a file: \`checkpoint-lens inspect ${input}\` lists its checkpoints; then pass one file (hf://${r.repo}@${r.revision}/FILE).`));
  }
  const url = r.url;
  if (PYTORCH_NAME.test(new URL(url).pathname)) {
    return err(readError('remote-format-unsupported', `${input}: PyTorch checkpoints cannot be read by ranges yet (their reader needs the local file); download it, or open the repository's .safetensors file.`));
  }
  const res = await open(url);
  if (!res.ok && (res.error.code === 'pytorch-zip' || res.error.code === 'pickle')) {
    return err(readError('remote-format-unsupported', `${input} is a PyTorch file under another name; PyTorch checkpoints cannot be read by ranges yet. Download it and open the local file.`));
  }
  return res;
}
