import { isIgnorableName, stripWrapperPrefixes, type FamilyId } from '../layouts/canonical.js';
import { towerOf as layoutTowerOf } from '../layouts/towers.js';
import type { Tower } from './types.js';

/**
 * The tower of a compared or unmatched tensor: the layout module's assignment (schema §10.2,
 * one copy for analysis, probe and comparison), plus `buffers` for names that are never weights
 * (position ids, masks, TorchScript scalars), so dropping them never fails a diff.
 * `family` is the side's layout; with `unknown` the name is read as a canonical name.
 */
export function towerOf(name: string, family: FamilyId | undefined = 'unknown'): Tower {
  const n = stripWrapperPrefixes(name);
  if (isIgnorableName(n)) return 'buffers';
  return layoutTowerOf(family ?? 'unknown', n);
}

/** What a presence difference in a tower means for someone loading B as a CLIP model. */
export function dropMeaning(tower: Tower, side: 'A' | 'B'): string | undefined {
  if (side === 'B') {
    return tower === 'buffers' ? 'non-weight buffers (position ids, masks, TorchScript scalars): loaders rebuild them, so this does not matter' : undefined;
  }
  switch (tower) {
    case 'text':
      return 'B drops text-tower tensors: B cannot encode text prompts, so zero-shot classification would be broken';
    case 'vision':
      return 'B drops vision-tower tensors: B cannot encode images; loading it into a full CLIP leaves them randomly initialised';
    case 'projection':
      return 'B drops projection / contrastive-head tensors: a loader re-initialises them, so image and text embeddings no longer meet and zero-shot logits are meaningless';
    case 'decoder':
      return 'B drops the multimodal decoder: captioning (CoCa) would be broken';
    case 'audio':
      return 'B drops audio-tower tensors: B cannot encode audio (CLAP); loading it leaves them randomly initialised';
    case 'buffers':
      return 'non-weight buffers (position ids, masks, TorchScript scalars): loaders rebuild them, so this does not matter';
    default:
      return undefined;
  }
}

/** A tower where B both adds and drops tensors: the counts and (a few) names, in that order. */
export function presenceMeaning(onlyA: readonly string[], onlyB: readonly string[]): string {
  const few = (l: readonly string[]) => (l.length <= 3 ? l.join(', ') : `${l.slice(0, 2).join(', ')} and ${l.length - 2} more`);
  const n = (k: number) => `${k} tensor${k === 1 ? '' : 's'}`;
  return `B adds ${n(onlyB.length)} (${few(onlyB)}) and drops ${n(onlyA.length)} (${few(onlyA)}) that A has`;
}
