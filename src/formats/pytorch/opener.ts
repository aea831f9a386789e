import type { FormatOpener } from '../open.js';
import { readPytorchFile } from './file.js';
import { readPytorchSharded } from './sharded.js';

/** File names PyTorch checkpoints go by (`.pth.tar` is common for old training checkpoints). */
const PYTORCH_NAME = /\.(bin|pt|pth|ckpt|pkl|pth\.tar)$/i;
const PYTORCH_INDEX = /\.bin\.index\.json$/i;

/** The opener registered with openCheckpoint (src/formats/open.ts). */
export const pytorchOpener: FormatOpener = {
  id: 'pytorch',
  accepts: (path) => PYTORCH_NAME.test(path) || PYTORCH_INDEX.test(path),
  open: (path) => (PYTORCH_INDEX.test(path) ? readPytorchSharded(path) : readPytorchFile(path)),
};
