/**
 * Index-only checks on the real config.json / *.index.json files of 43 public models in
 * ../shared/data/hf-configs (read from there, never committed; skipped when absent). Each folder is
 * copied without its shards, so every check is names-only, and broken variants are made by
 * editing the weight_map (untied head dropped, a shard's tensors gone, a VLM's vision tower gone).
 */
import assert from 'node:assert/strict';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/types.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { sharedDir } from '../helpers/archFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const SRC = join(sharedDir(), 'data', 'hf-configs');
const have = existsSync(SRC);
const root = have ? tempDir('ckl-hfcfg-') : '';

/** Copies config + index (and quantize/adapter configs) of `folder` to a temp dir; `edit` may change the weight_map. */
async function indexOnly(folder: string, edit?: (wm: Record<string, string>) => void): Promise<Analysis> {
  const src = join(SRC, folder);
  const dst = join(root, `${folder}-${Math.random().toString(36).slice(2, 8)}`);
  mkdirSync(dst);
  for (const f of ['config.json', 'quantize_config.json', 'adapter_config.json']) if (existsSync(join(src, f))) copyFileSync(join(src, f), join(dst, f));
  const idx = readdirSync(src).find((f) => f.endsWith('.index.json') && !f.startsWith('BROKEN'))!;
  const j = JSON.parse(readFileSync(join(src, idx), 'utf8')) as { weight_map: Record<string, string> };
  edit?.(j.weight_map);
  writeFileSync(join(dst, idx), JSON.stringify(j));
  const c = await openCheckpoint(join(dst, idx));
  assert.ok(c.ok, c.ok ? '' : c.error.message);
  const a = await analyzeCheckpoint(c.value, { valueBudgetBytes: 0 });
  assert.ok(a.ok);
  return a.value;
}
const bad = (a: Analysis) => a.findings.filter((f) => f.severity !== 'info').map((f) => f.code);

/** Folders whose weight_map is exactly the architecture the config names: checked, nothing missing, nothing unknown. */
const COMPLETE: Record<string, string> = {
  'Alikhan13r__falcon-180B-chat': 'FalconForCausalLM',
  'Ibtasam-98__medgemma-27b-it': 'Gemma3ForConditionalGeneration',
  'IrfanUruchi__Llama-2-13B-Computer-Engineering-': 'LlamaForCausalLM',
  'IrfanUruchi__Llama-3.1-8B-Computer-Networks-LLM': 'LlamaForCausalLM',
  'JakobJohannesson__mixtral_dolphin_v2.5': 'MixtralForCausalLM',
  'KamilaTrinkenschuh__Minstral-Model': 'MistralForCausalLM',
  'ManiPolipogu15__Code_Llama2_Finetune': 'LlamaForCausalLM',
  'MiMiGame-1__Reflection-Llama-3.1-70B': 'LlamaForCausalLM',
  'PANDASANG1231__llama_3.2-3B-huggingface-shard0': 'LlamaForCausalLM',
  'YouriLalain__3PRYMMAL-PHI3-3B-SLERP': 'Phi3ForCausalLM',
  ananddhanabal__gemma: 'GemmaForCausalLM',
  'drcege__RedPajama-INCITE-7B-Base': 'GPTNeoXForCausalLM',
  'fetchwiki__deepcogito-cogito-v1-preview-qwen-14B': 'Qwen2ForCausalLM',
  'fetchwiki__mistralai-Devstral-Small-2507': 'MistralForCausalLM',
  'isatyabrata__llama2-7b-chat-hf': 'LlamaForCausalLM',
  'root-hypercube__qwen3-mlx': 'Qwen3ForCausalLM',
  'root-hypercube__qwen3-mlx__Qwen3-14B-MLX-4bit': 'Qwen3ForCausalLM',
  'tbressers__WizardLM-2-8x22B': 'MixtralForCausalLM',
  'wyler-max__llava-v1.5-7b': 'LlavaLlamaForCausalLM',
};

/** model_types with no spec: "not checked", never a pass. */
const UNKNOWN = ['Beniko95J__eval_llm', 'BrianYAU-NTEC__olmOCR', 'Decentralised-AI__falcon-40b', 'EchoCog__gpt-oss-20b', 'HwwwwwwwH__MiniCPM-V-2', 'amansingh61__bloom', 'bacoco__Phi-2', 'x1ngzai__Qwen-VL-Chat-Int4', 'ypkang__adept-fuyu-8b'];

describe('real config.json + index files, shards absent', { skip: !have && 'shared/data/hf-configs is absent' }, () => {
  for (const [folder, cls] of Object.entries(COMPLETE)) {
    test(`${folder}: ${cls}, names-only, complete`, async () => {
      const a = await indexOnly(folder);
      assert.equal(a.transformers?.className, cls);
      assert.deepEqual(bad(a), []);
      assert.equal(a.transformers?.missing.length, 0);
      assert.equal(a.transformers?.namesOnly, true);
      assert.ok(a.findings.some((f) => f.code === 'index-only'));
      assert.ok(!a.findings.some((f) => f.code === 'shard-missing'), 'absent shards are one finding, not one error each');
    });
  }

  test('quantized real indexes are recognised (bitsandbytes NF4 / int8, MLX)', async () => {
    assert.equal((await indexOnly('IrfanUruchi__Llama-2-13B-Computer-Engineering-')).transformers?.quantization?.method, 'bitsandbytes-4bit');
    assert.equal((await indexOnly('IrfanUruchi__Llama-3.1-8B-Computer-Networks-LLM')).transformers?.quantization?.method, 'bitsandbytes-8bit');
    const mlx = (await indexOnly('root-hypercube__qwen3-mlx__Qwen3-14B-MLX-4bit')).transformers!;
    assert.deepEqual([mlx.quantization?.method, mlx.quantization?.bits], ['mlx', 4]);
    assert.equal(mlx.unexpected.length, 0, 'scales / biases are not "unexpected"');
  });

  for (const folder of UNKNOWN) {
    test(`${folder}: not checked (unknown architecture)`, async () => {
      const a = await indexOnly(folder);
      assert.equal(a.transformers ?? null, null);
      const f = a.findings.find((x) => x.code === 'arch-unknown');
      assert.ok(f, JSON.stringify(a.findings.map((x) => x.code)));
      assert.match(f.message, /^Not checked: unknown architecture `/);
    });
  }

  test('LISA (LLaVA + SAM): the LLaVA part is complete, the SAM tensors are reported as not used by the class', async () => {
    const a = await indexOnly('Zekun525__lisa-7B');
    assert.equal(a.transformers?.missing.length, 0);
    assert.deepEqual(bad(a), ['arch-unexpected-tensors']);
    assert.ok(a.findings.find((f) => f.code === 'arch-unexpected-tensors')!.tensors!.some((n) => n.startsWith('model.visual_model.')));
  });

  test('broken: the untied head dropped from Devstral (Mistral) → arch-lm-head-missing', async () => {
    const a = await indexOnly('fetchwiki__mistralai-Devstral-Small-2507', (wm) => delete wm['lm_head.weight']);
    assert.deepEqual(bad(a), ['arch-lm-head-missing']);
  });

  test('broken: one shard of Llama-3.1-70B gone from the weight_map → the language model is incomplete, by names', async () => {
    const a = await indexOnly('MiMiGame-1__Reflection-Llama-3.1-70B', (wm) => {
      for (const [k, v] of Object.entries(wm)) if (v.includes('00042-of')) delete wm[k];
    });
    const f = a.findings.find((x) => x.code === 'arch-weights-missing')!;
    assert.ok(f);
    assert.match(f.message, /^The language model is incomplete: \d+ of its/);
    assert.ok(f.tensorCount! > 0 && f.tensorCount! < 20);
  });

  test('broken: medgemma without its SigLIP tower → the vision tower is missing', async () => {
    const a = await indexOnly('Ibtasam-98__medgemma-27b-it', (wm) => {
      for (const k of Object.keys(wm)) if (k.startsWith('vision_tower.')) delete wm[k];
    });
    const f = a.findings.find((x) => x.code === 'arch-weights-missing')!;
    assert.match(f.message, /^The vision tower is not in the checkpoint \(\d+ tensors\)/);
    assert.equal(bad(a).length, 1);
  });

  test('a tied Llama 3.2 whose config is flipped to tie_word_embeddings false → the head is missing', async () => {
    const folder = 'PANDASANG1231__llama_3.2-3B-huggingface-shard0';
    const dst = join(root, 'flip');
    mkdirSync(dst);
    const cfg = JSON.parse(readFileSync(join(SRC, folder, 'config.json'), 'utf8'));
    writeFileSync(join(dst, 'config.json'), JSON.stringify({ ...cfg, tie_word_embeddings: false }));
    copyFileSync(join(SRC, folder, 'model.safetensors.index.json'), join(dst, 'model.safetensors.index.json'));
    const c = await openCheckpoint(join(dst, 'model.safetensors.index.json'));
    assert.ok(c.ok);
    const a = await analyzeCheckpoint(c.value, { valueBudgetBytes: 0 });
    assert.ok(a.ok);
    assert.deepEqual(bad(a.value), ['arch-lm-head-missing']);
  });
});
