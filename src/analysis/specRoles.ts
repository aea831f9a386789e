/**
 * Role knowledge for explain-log from the project's one generated-layout mechanism
 * (src/layouts/spec/transformers): the model class a log names (`LlamaForCausalLM`) picks the
 * architecture entry and its class head; the spec, expanded with the config class defaults, says
 * for each tensor its part kind, tower and role (weight / task-head / tied / buffer / optional /
 * quant-aux). A log has no config.json, so the class defaults decide (e.g. `tie_word_embeddings`:
 * false for Llama, true for Gemma): that is what `from_pretrained` of a checkpoint without its own
 * override would do.
 *
 * Names are matched with their indices generalised (`layers.7.` ≡ `layers.0.`), with and without
 * the class's base-model prefix (transformers v4 reports some names without it), and after the
 * wrapper prefixes (`module.`, `base_model.model.`). Names the spec does not know are left to the
 * generic rules (keyRoles.ts).
 */
import { HF_ARCHITECTURES, hfExpectedLayout, type HfArchitecture, type HfExpectedTensor } from '../layouts/spec/transformers/index.js';
import type { ArchitectureRoleSource, KeyClass, KeyRole, PartId } from './keyRoles.js';

const WRAPPER_RE = /^(?:module\.|_orig_mod\.|base_model\.model\.|model\.module\.)+/;

/** `model.layers.7.mlp.experts.3.w1.weight` → `model.layers.#.mlp.experts.#.w1.weight`. */
function pattern(name: string): string {
  return name.replace(/(^|\.)\d+(?=\.|$)/g, '$1#');
}

/** The entry and class suffix for a class name: the longest class prefix whose remainder is one of its heads. */
export function hfArchitectureOfClass(cls: string): { arch: HfArchitecture; head: string } | undefined {
  let best: { arch: HfArchitecture; head: string } | undefined;
  for (const arch of HF_ARCHITECTURES) {
    if (!cls.startsWith(arch.classPrefix)) continue;
    const head = cls.slice(arch.classPrefix.length);
    if (!arch.heads[head]) continue;
    if (!best || arch.classPrefix.length > best.arch.classPrefix.length) best = { arch, head };
  }
  return best;
}

const ROLE: Record<HfExpectedTensor['role'], KeyRole> = {
  weight: 'trained',
  'task-head': 'task-head',
  tied: 'tied',
  buffer: 'buffer',
  optional: 'buffer',
  'quant-aux': 'quant-aux',
};

function partOf(e: HfExpectedTensor): PartId {
  if (e.role === 'task-head' || e.label === 'the task head') return 'task-head';
  if (e.tower === 'vision') return 'vision-tower';
  switch (e.partKind) {
    case 'embeddings':
      return 'embeddings';
    case 'blocks':
      return 'blocks';
    case 'norm':
      return 'final-norm';
    case 'head':
      return 'lm-head';
    case 'projector':
      return 'projector';
    case 'decoder':
      return 'decoder';
    case 'tower':
      return e.tower === 'text' ? 'text-tower' : 'other';
    default:
      return 'other';
  }
}

interface ClassIndex {
  byPattern: Map<string, KeyClass>;
  backbonePrefix: string;
}

const cache = new Map<string, ClassIndex | null>();
const CACHE_CAP = 64;

function indexFor(cls: string): ClassIndex | null {
  const hit = cache.get(cls);
  if (hit !== undefined) return hit;
  let out: ClassIndex | null = null;
  const found = hfArchitectureOfClass(cls);
  if (found) {
    // original LLaVA has no model_type of its own: config.json says `llava` plus its `mm_*` fields
    const json: Record<string, unknown> =
      found.arch.modelTypes.length === 0 ? { model_type: 'llava', mm_vision_tower: 'clip', mm_hidden_size: 1024, architectures: [cls] } : { model_type: found.arch.modelTypes[0], architectures: [cls] };
    const r = hfExpectedLayout(json, cls);
    if (r.ok) {
      const byPattern = new Map<string, KeyClass>();
      const rule = `spec:${found.arch.id}:${r.value.head}`;
      for (const e of r.value.tensors) {
        const c: KeyClass = { part: partOf(e), role: ROLE[e.role], rule };
        const p = pattern(e.name);
        if (!byPattern.has(p)) byPattern.set(p, c);
      }
      out = { byPattern, backbonePrefix: r.value.backbonePrefix };
    }
  }
  if (cache.size >= CACHE_CAP) cache.clear();
  cache.set(cls, out);
  return out;
}

/** The generated-layout mechanism as a role source for explain-log. */
export const SPEC_ROLES: ArchitectureRoleSource = {
  classify(names, ctx) {
    if (!ctx.modelClass) return null;
    const idx = indexFor(ctx.modelClass);
    if (!idx) return null;
    return names.map((raw) => {
      const p = pattern(raw.replace(WRAPPER_RE, ''));
      return idx.byPattern.get(p) ?? (idx.backbonePrefix ? idx.byPattern.get(idx.backbonePrefix + p) : undefined);
    });
  },
};
