// The generated-layout decision skips generating the full layout of models a big file cannot fit
// (src/analysis/generated.ts `pastCap`): it must decide exactly as when every candidate was
// generated and fitted. A model is considered while at most MISFIT_CAP (2000) file tensors have no
// place in it; these files are a complete model plus K unrelated tensors, around that bound, so
// the skip is exercised on both sides of it (the file is bigger than the bound plus the model).
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { openclipEntry } from '../../src/layouts/spec/catalog.js';
import { fakeTensors } from '../helpers/clipFixtures.js';

async function variantOf(model: string, extra: number, textFirst = false, textTwice = false) {
  const own = openclipEntry(model).expected.filter((e) => !e.opaque).map((e) => ({ name: e.name, shape: e.shape.map((d) => (d < 0 ? 1 : d)) }));
  // The text tower also at top level (`x` beside `text.x`: one name for the layouts, so the skip counts names, not tensors).
  if (textTwice) own.push(...own.filter((e) => e.name.startsWith('text.')).map((e) => ({ ...e, name: e.name.slice(5) })));
  const more = Array.from({ length: extra }, (_, i) => ({ name: `extra.${i}.weight`, shape: [4] }));
  const tensors = fakeTensors(textFirst ? [...more, ...own] : [...own, ...more]);
  const ckpt: Checkpoint = { format: 'safetensors', path: join('/nonexistent', 'model.safetensors'), files: [], tensors, unreadable: [], metadata: {}, problems: [] };
  const r = await analyzeCheckpoint(ckpt, { configDir: null, valueBudgetBytes: 0 });
  if (!r.ok) assert.fail(r.error.message);
  return { variant: r.value.architecture.variant, source: r.value.architecture.variantSource, tensors: own.length };
}

for (const model of ['ViT-B-16-SigLIP', 'ViT-L-14-CLIPA', 'convnext_base_w', 'roberta-ViT-B-32']) {
  test(`${model} plus K unrelated tensors: named while K ≤ 2000, not past it (the full layouts skipped for big files decide alike)`, async () => {
    for (const [k, named] of [
      [1999, true],
      [2000, true],
      [2001, false],
      [2600, false],
    ] as const) {
      for (const [textFirst, textTwice] of [
        [false, false],
        [true, false],
        [false, true],
      ] as const) {
        if (textTwice && model !== 'roberta-ViT-B-32') continue;
        const v = await variantOf(model, k, textFirst, textTwice);
        assert.equal(v.variant === model && v.source === 'shapes', named, `${model} (${v.tensors} tensors${textTwice ? ', text tower twice' : ''}) + ${k} extra${textFirst ? ' (extras first)' : ''}: ${v.variant} (${v.source})`);
      }
    }
  });
}
