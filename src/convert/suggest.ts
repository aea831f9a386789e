import { basename, dirname, extname, join } from 'node:path';
import type { ConvertTargetKind, FamilyId } from './layoutAdapter.js';

/**
 * Small decisions the editor's "Complete from another checkpoint…" / "Convert to … layout" glue
 * needs, kept here (no `vscode`) so they are unit-tested.
 */

/** Findings a donor can fix. */
export const COMPLETABLE_FINDINGS: readonly string[] = ['text-tower-missing', 'vision-tower-missing', 'projection-missing', 'logit-scale-missing'];

/** The layout to complete a file into: its own, except timm (image tower only), which becomes open_clip. */
export function completionTarget(family: FamilyId): ConvertTargetKind {
  return family === 'hf-clip' ? 'hf' : 'openclip';
}

/** Layouts a file can be converted to (all but its own). */
export function conversionTargets(family: FamilyId): ConvertTargetKind[] {
  const own: ConvertTargetKind | null = family === 'hf-clip' ? 'hf' : family === 'timm-vit' ? 'timm' : family === 'openai-clip' ? 'openclip' : null;
  return (['openclip', 'hf', 'timm'] as const).filter((k) => k !== own);
}

export const TARGET_LABEL: Record<ConvertTargetKind, string> = { openclip: 'open_clip', hf: 'transformers', timm: 'timm (image tower only)' };

/** A new folder beside the input (config files must not land in the input's folder): `NAME-hf/`, `NAME-hf-2/`, … */
export function outputFolderFor(input: string, to: ConvertTargetKind, taken: (p: string) => boolean): string {
  const stem = basename(input, extname(input)).replace(/\.index$/, '').replace(/\.(safetensors|bin)$/, '');
  const base = join(dirname(input), `${stem}-${to}`);
  for (let i = 1; ; i++) {
    const p = i === 1 ? base : `${base}-${i}`;
    if (!taken(p)) return p;
  }
}
