import type { CanonicalView } from '../layouts/canonical.js';
import { CLIP_CONFIGS, type ClipConfig } from '../layouts/configs.js';
import type { InferredArchitecture } from './types.js';

/**
 * Hyper-parameters from shapes, the way OpenAI's `build_model` reads them back (§1.7), on the
 * canonical view so every layout that maps to canonical names is covered.
 */
export function inferArchitecture(view: CanonicalView): InferredArchitecture {
  const shape = (n: string) => view.tensors.get(n)?.shape;
  // max block index + 1 under `prefix` (`prefix` + digits + `.`): a scan of the names with no
  // regex, set or copy of the name list (100k-tensor files). The max, not the count: a block missing
  // in the middle must not change the size; no spread either: a hostile file can have millions of indices.
  const blocks = (prefix: string) => {
    let max = -1;
    const visit = (n: string) => {
      if (!n.startsWith(prefix)) return;
      let j = prefix.length;
      while (j < n.length && n.charCodeAt(j) >= 48 && n.charCodeAt(j) <= 57) j++;
      if (j === prefix.length || n.charCodeAt(j) !== 46) return;
      const id = Number(n.slice(prefix.length, j));
      if (id > max) max = id;
    };
    view.tensors.forEach((_, n) => visit(n)); // forEach: no iterator results (100k keys, cold code)
    for (const p of view.partial) visit(p.name);
    return max + 1;
  };
  const out: InferredArchitecture = {};
  const conv1 = shape('visual.conv1.weight');
  const visualProj = shape('visual.proj');
  const layer1 = shape('visual.layer1.0.conv1.weight');
  if (layer1 || shape('visual.attnpool.c_proj.weight')) {
    const layers = [1, 2, 3, 4].map((k) => blocks(`visual.layer${k}.`));
    const pos = shape('visual.attnpool.positional_embedding');
    const width = layer1?.[0] ?? (conv1?.[0] ?? 0) * 2;
    const image = pos?.[0] ? Math.round(Math.sqrt(pos[0] - 1)) * 32 : undefined;
    out.vision = { kind: 'resnet', width, layers, ...(image ? { image } : {}), heads: (width * 32) / 64 };
    const cproj = shape('visual.attnpool.c_proj.weight');
    if (cproj?.[0]) out.embedDim = cproj[0];
  } else if (conv1 && conv1.length === 4) {
    const width = conv1[0]!;
    const patch = conv1[3]!;
    const pos = shape('visual.positional_embedding');
    const grid = pos?.[0] ? Math.round(Math.sqrt(pos[0] - 1)) : 0;
    const mlp = shape('visual.transformer.resblocks.0.mlp.c_fc.weight')?.[0];
    out.vision = { kind: 'vit', width, layers: blocks('visual.transformer.resblocks.'), patch, image: grid * patch, ...(mlp ? { mlp } : {}), heads: width / 64 };
    if (visualProj?.length === 2) out.embedDim = visualProj[1]!;
  }
  const lnFinal = shape('ln_final.weight');
  const tok = shape('token_embedding.weight');
  const textWidth = lnFinal?.[0] ?? tok?.[1];
  const textLayers = blocks('transformer.resblocks.');
  if (textWidth !== undefined || textLayers > 0) {
    const pos = shape('positional_embedding');
    const mlp = shape('transformer.resblocks.0.mlp.c_fc.weight')?.[0];
    const width = textWidth ?? shape('transformer.resblocks.0.ln_1.weight')?.[0] ?? 0;
    out.text = { width, layers: textLayers, ...(pos?.[0] ? { context: pos[0] } : {}), ...(tok?.[0] ? { vocab: tok[0] } : {}), ...(mlp ? { mlp } : {}), heads: width / 64 };
    const tp = shape('text_projection');
    if (tp?.length === 2 && out.embedDim === undefined) out.embedDim = tp[1]!;
  }
  const dec = blocks('text_decoder.resblocks.');
  if (dec > 0) out.decoderLayers = dec;
  return out;
}

/** Fields of a config the shapes can be compared against. */
function configFacts(c: ClipConfig): Record<string, number | string> {
  const f: Record<string, number | string> = { 'vision.kind': c.vision.kind, 'vision.width': c.vision.width, embedDim: c.embedDim };
  if (c.vision.kind === 'vit') Object.assign(f, { 'vision.layers': c.vision.layers, 'vision.patch': c.vision.patch, 'vision.image': c.vision.image, 'vision.mlp': c.vision.mlp });
  else Object.assign(f, { 'vision.layers': c.vision.layers.join(','), 'vision.image': c.vision.image });
  Object.assign(f, { 'text.width': c.text.width, 'text.layers': c.text.layers, 'text.context': c.text.context, 'text.vocab': c.text.vocab, 'text.mlp': c.text.mlp });
  f.decoder = c.coca ? c.coca.decoderLayers : 0;
  return f;
}

export function inferredFacts(a: InferredArchitecture): Record<string, number | string> {
  const f: Record<string, number | string> = {};
  if (a.vision) {
    f['vision.kind'] = a.vision.kind;
    f['vision.width'] = a.vision.width;
    if (a.vision.kind === 'vit') {
      f['vision.layers'] = a.vision.layers;
      f['vision.patch'] = a.vision.patch;
      f['vision.image'] = a.vision.image;
      if (a.vision.mlp) f['vision.mlp'] = a.vision.mlp;
    } else {
      f['vision.layers'] = a.vision.layers.join(',');
      if (a.vision.image) f['vision.image'] = a.vision.image;
    }
  }
  if (a.text) {
    f['text.width'] = a.text.width;
    if (a.text.layers) f['text.layers'] = a.text.layers;
    if (a.text.context) f['text.context'] = a.text.context;
    if (a.text.vocab) f['text.vocab'] = a.text.vocab;
    if (a.text.mlp) f['text.mlp'] = a.text.mlp;
  }
  if (a.embedDim) f.embedDim = a.embedDim;
  if (a.decoderLayers) f.decoder = a.decoderLayers;
  return f;
}

/** Named configurations whose every shape fact that the file shows agrees (CoCa only with a decoder or pooler). */
export function matchVariants(a: InferredArchitecture, isCoca: boolean): { configs: ClipConfig[]; exact: boolean } {
  const facts = inferredFacts(a);
  if (!a.vision && !a.text) return { configs: [], exact: true };
  const match = (relaxed: ReadonlySet<string>) =>
    CLIP_CONFIGS.filter((c) => {
      if (Boolean(c.coca) !== isCoca) return false;
      const cf = configFacts(c);
      for (const [k, v] of Object.entries(facts)) {
        if (k === 'decoder' || relaxed.has(k)) continue;
        if (cf[k] !== v) return false;
      }
      return true;
    });
  const exact = match(new Set());
  if (exact.length) return { configs: exact, exact: true };
  // A broken file (last block dropped, projection stored transposed, …) should still be named by
  // its widths, patch and image size, so the completeness check can say what is wrong with it.
  const loose = match(new Set(['embedDim', 'vision.layers', 'text.layers']));
  return { configs: loose.length === 1 ? loose : [], exact: false };
}

export function factDisagreements(config: Record<string, number | string>, shapes: Record<string, number | string>): { field: string; config: string; shapes: string }[] {
  const out: { field: string; config: string; shapes: string }[] = [];
  for (const [k, v] of Object.entries(config)) {
    const s = shapes[k];
    if (s !== undefined && s !== v) out.push({ field: k, config: String(v), shapes: String(s) });
  }
  return out;
}

export { configFacts };
