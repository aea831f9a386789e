import type { FormatOpener } from '../open.js';
import { openGguf } from './file.js';

const GGUF_NAME = /\.gguf$/i;

/** The opener registered with openCheckpoint (src/formats/open.ts); other names are routed by their "GGUF" magic. */
export const ggufOpener: FormatOpener = {
  id: 'gguf',
  accepts: (path) => GGUF_NAME.test(path),
  open: (path) => openGguf(path),
};
