import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runConvert } from '../../src/cli/commands/convert.js';
import { clipTensorSpecs, tinyClipConfig, writeClipFixture } from '../helpers/clipFixtures.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * The real loaders (transformers `CLIPModel.from_pretrained(dir)`, open_clip `create_model(…,
 * pretrained=file)`, timm `VisionTransformer.load_state_dict`) on converted files: no missing or
 * unexpected keys, and the same embeddings as open_clip on the original. Needs a Python with torch,
 * transformers, open_clip and timm (CHECKPOINT_LENS_PYTHON, default /opt/venv-convert/bin/python);
 * skipped otherwise (CI has no Python packages).
 */
const PY = process.env.CHECKPOINT_LENS_PYTHON ?? '/opt/venv-convert/bin/python';
const SCRIPT = join(__dirname, '../python/check_convert_loaders.py');
const skip = ((): string | false => {
  if (!existsSync(PY)) return `no Python at ${PY}`;
  const r = spawnSync(PY, ['-c', 'import torch, transformers, open_clip, timm, safetensors'], { encoding: 'utf8' });
  return r.status === 0 ? false : `Python packages missing (${r.stderr.trim().split('\n').pop() ?? ''})`;
})();

const dir = tempDir('ckl-convert-py-');

async function convert(args: string[]): Promise<void> {
  let err = '';
  const code = await runConvert(args, { out: () => undefined, err: (s) => (err += s) });
  assert.equal(code, 0, err);
}

interface LoaderReport {
  missing: string[];
  unexpected: string[];
  mismatched?: string[][];
  image: number;
  text?: number;
}

test('real loaders load every converted file with no missing / unexpected keys and the same embeddings', { skip }, async (t) => {
  const cfg = tinyClipConfig();
  const src = join(dir, 'src');
  mkdirSync(src);
  const original = await writeClipFixture(src, 'open_clip_model.safetensors', clipTensorSpecs('openai-clip', cfg), { values: 'trained' });
  const v = cfg.vision as { width: number; layers: number; heads: number; mlp: number; patch: number; image: number };
  const modelCfg = {
    embed_dim: cfg.embedDim,
    quick_gelu: true,
    vision_cfg: { image_size: v.image, layers: v.layers, width: v.width, patch_size: v.patch, head_width: v.width / v.heads, mlp_ratio: v.mlp / v.width },
    text_cfg: { context_length: cfg.text.context, vocab_size: cfg.text.vocab, width: cfg.text.width, heads: cfg.text.heads, layers: cfg.text.layers, mlp_ratio: cfg.text.mlp / cfg.text.width },
  };
  // The config beside the original says what the weights cannot (heads, QuickGELU); convert carries it over.
  writeFileSync(join(src, 'open_clip_config.json'), JSON.stringify({ model_cfg: modelCfg }));
  await convert([original, '--to', 'hf', '-o', join(dir, 'hf')]);
  await convert([join(dir, 'hf', 'model.safetensors'), '--to', 'openclip', '-o', join(dir, 'oc')]);
  await convert([original, '--to', 'timm', '-o', join(dir, 'timm', 'model.safetensors')]);
  const r = spawnSync(PY, [SCRIPT, JSON.stringify({ original, openclip: join(dir, 'oc', 'open_clip_model.safetensors'), hf_dir: join(dir, 'hf'), timm: join(dir, 'timm', 'model.safetensors'), model_cfg: modelCfg })], { encoding: 'utf8', maxBuffer: 16 << 20 });
  assert.equal(r.status, 0, r.stderr);
  const rep = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<'openclip' | 'hf' | 'timm', LoaderReport>;
  t.diagnostic(JSON.stringify(rep));
  for (const [loader, x] of Object.entries(rep)) {
    assert.deepEqual(x.missing, [], `${loader}: missing keys`);
    assert.deepEqual(x.unexpected, [], `${loader}: unexpected keys`);
    assert.deepEqual(x.mismatched ?? [], [], `${loader}: mismatched shapes`);
    assert.ok(x.image <= 1e-5, `${loader}: image embeddings differ by ${x.image}`);
    if (x.text !== undefined) assert.ok(x.text <= 1e-5, `${loader}: text embeddings differ by ${x.text}`);
  }
  assert.deepEqual(Object.keys(rep).sort(), ['hf', 'openclip', 'timm']);
});
