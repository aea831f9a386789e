/**
 * The transformers completeness check through the real entry points (analyzeCheckpoint and the
 * CLI) on sparse safetensors files built from the ground-truth layouts, and their broken variants:
 * untied head dropped, base checkpoint into a task class, VLM without its vision tower, newer
 * release naming, quantized (GPTQ / MLX / bitsandbytes) files, absent shards, unknown model types.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Analysis } from '../../src/analysis/types.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { applyNaming } from '../../src/layouts/spec/naming.js';
import { hfExpectedLayout } from '../../src/layouts/spec/transformers/index.js';
import { groundTruth, onDisk, writeModel } from '../helpers/archFixtures.js';
import { runCli } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('ckl-arch-');
let n = 0;
const fresh = () => join(root, `m${n++}`);

async function analyze(path: string, opts: { modelClass?: string } = {}): Promise<Analysis> {
  const c = await openCheckpoint(path);
  assert.ok(c.ok, c.ok ? '' : c.error.message);
  const a = await analyzeCheckpoint(c.value, { valueBudgetBytes: 0, ...opts });
  assert.ok(a.ok);
  return a.value;
}
const codes = (a: Analysis, sev?: string) => a.findings.filter((f) => !sev || f.severity === sev).map((f) => f.code);

describe('decoder LMs', () => {
  test('Llama without lm_head.weight and tie_word_embeddings false: an error naming the consequence, CLI exit 1', async () => {
    const m = groundTruth('LlamaForCausalLM');
    const dir = fresh();
    const path = await writeModel(
      dir,
      m.config,
      onDisk(m).filter((t) => t.name !== 'lm_head.weight'),
    );
    const a = await analyze(path);
    const f = a.findings.find((x) => x.code === 'arch-lm-head-missing');
    assert.ok(f, JSON.stringify(codes(a)));
    assert.equal(f.severity, 'error');
    assert.match(f.message, /tie_word_embeddings is false/);
    assert.match(f.message, /generation will be garbage/);
    assert.deepEqual(f.tensors, ['lm_head.weight']);
    assert.equal(a.transformers?.className, 'LlamaForCausalLM');
    assert.ok(!codes(a).includes('family-unknown'), 'no "not a CLIP layout" noise once the architecture is known');
    const cli = runCli(['inspect', path, '--no-values']);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /arch-lm-head-missing/);
    assert.match(cli.stdout, /model_type {2}llama → LlamaForCausalLM/);
  });

  test('the same file with tie_word_embeddings true (or the key absent for Gemma) is complete', async () => {
    const m = groundTruth('LlamaForCausalLM', 'tied');
    const path = await writeModel(fresh(), m.config, onDisk(m));
    assert.ok(!onDisk(m).some((t) => t.name === 'lm_head.weight'), 'save_pretrained drops the tied head');
    const a = await analyze(path);
    assert.deepEqual(codes(a, 'error'), []);
    assert.deepEqual(codes(a, 'warning'), []);
    assert.equal(a.transformers?.missing.length, 0);
    const g = groundTruth('GemmaForCausalLM');
    assert.equal(g.config.tie_word_embeddings, undefined, 'Gemma configs omit the key (PretrainedConfig default)');
    const a2 = await analyze(await writeModel(fresh(), g.config, onDisk(g)));
    assert.deepEqual(codes(a2, 'error'), []);
    assert.equal(runCli(['inspect', path, '--no-values']).code, 0);
  });

  test('a file storing the head although tied (Falcon-180B) is not "unexpected"', async () => {
    const m = groundTruth('FalconForCausalLM');
    const path = await writeModel(fresh(), m.config, m.state_dict.map(([name, shape]) => ({ name, shape })));
    const a = await analyze(path);
    assert.deepEqual(codes(a, 'error').concat(codes(a, 'warning')), []);
  });

  test('a block dropped from the middle: error with the block named; old inv_freq buffers are silent', async () => {
    const m = groundTruth('MistralForCausalLM');
    const t = onDisk(m).filter((x) => !x.name.startsWith('model.layers.1.mlp.'));
    t.push({ name: 'model.layers.0.self_attn.rotary_emb.inv_freq', shape: [2] });
    const a = await analyze(await writeModel(fresh(), m.config, t));
    const f = a.findings.find((x) => x.code === 'arch-weights-missing')!;
    assert.ok(f);
    assert.match(f.message, /The language model is incomplete: 3 of its 20 tensors/);
    assert.match(f.message, /generation will be garbage/);
    assert.ok(!codes(a).includes('arch-unexpected-tensors'));
    assert.equal(a.transformers?.unexpected[0]?.reason, 'legacy-buffer');
  });

  test('a base checkpoint (LlamaModel) loaded into LlamaForSequenceClassification: backbone fine, head "train before use"', async () => {
    const base = groundTruth('LlamaModel');
    const cls = groundTruth('LlamaForSequenceClassification');
    const path = await writeModel(fresh(), cls.config, onDisk(base));
    const a = await analyze(path);
    assert.deepEqual(codes(a, 'error'), []);
    assert.ok(codes(a).includes('arch-base-checkpoint'));
    const h = a.findings.find((x) => x.code === 'arch-task-head-new')!;
    assert.equal(h.severity, 'info');
    assert.match(h.message, /Train it before use/);
    assert.deepEqual(h.tensors, ['score.weight']);
    assert.equal(a.transformers?.checkpointKind, 'base');
  });

  test('--class checks another class than config.json names', async () => {
    const base = groundTruth('BertModel');
    const path = await writeModel(fresh(), base.config, onDisk(base));
    const a = await analyze(path, { modelClass: 'BertForTokenClassification' });
    assert.equal(a.transformers?.className, 'BertForTokenClassification');
    assert.deepEqual(codes(a, 'error'), []);
    assert.deepEqual(a.findings.find((f) => f.code === 'arch-task-head-new')?.tensors, ['classifier.weight', 'classifier.bias']);
    const cli = runCli(['inspect', path, '--no-values', '--class', 'BertForTokenClassification']);
    assert.equal(cli.code, 0, cli.stdout);
    assert.match(cli.stdout, /arch-task-head-new/);
  });

  test('a tensor with the wrong shape is an error', async () => {
    const m = groundTruth('Qwen2ForCausalLM');
    const t = onDisk(m).map((x) => (x.name === 'model.norm.weight' ? { ...x, shape: [17] } : x));
    const a = await analyze(await writeModel(fresh(), m.config, t));
    assert.ok(codes(a, 'error').includes('arch-shape-mismatch'));
  });
});

describe('vision-language models', () => {
  test('LLaVA without its vision tower: "the model cannot see"', async () => {
    const m = groundTruth('LlavaForConditionalGeneration');
    const a = await analyze(await writeModel(fresh(), m.config, onDisk(m).filter((t) => !t.name.startsWith('vision_tower.'))));
    const f = a.findings.find((x) => x.code === 'arch-weights-missing')!;
    assert.ok(f, JSON.stringify(codes(a)));
    assert.match(f.message, /^The vision tower is not in the checkpoint/);
    assert.match(f.message, /cannot see/);
    assert.equal(f.tower, 'vision');
    assert.equal(codes(a, 'error').length, 1, 'the language model and projector are fine');
  });

  test('LLaVA saved with transformers ≥ 4.52 names (model.language_model.*, lm_head at the top) is complete', async () => {
    const m = groundTruth('LlavaForConditionalGeneration');
    const layout = hfExpectedLayout(m.config);
    assert.ok(layout.ok);
    const renamed = applyNaming(layout.value.tensors, layout.value.namings[0]!, { embed: 0 });
    assert.ok(renamed.some((t) => t.name === 'model.language_model.layers.0.self_attn.q_proj.weight'));
    assert.ok(renamed.some((t) => t.name === 'lm_head.weight'));
    const a = await analyze(await writeModel(fresh(), m.config, renamed.map((t) => ({ name: t.name, shape: t.shape }))));
    assert.deepEqual(codes(a, 'error').concat(codes(a, 'warning')), []);
    assert.equal(a.transformers?.naming, 'transformers>=4.52');
  });

  test('projector missing from Idefics3: error about image features', async () => {
    const m = groundTruth('Idefics3ForConditionalGeneration');
    const a = await analyze(await writeModel(fresh(), m.config, onDisk(m).filter((t) => !t.name.includes('connector'))));
    const f = a.findings.find((x) => x.code === 'arch-weights-missing')!;
    assert.match(f.message, /The projector is not in the checkpoint/);
    assert.match(f.message, /image features reach the language model as noise/);
  });

  test('original LLaVA (mm_projector, tower loaded from mm_vision_tower): complete without the tower, note says where it comes from', async () => {
    const m = groundTruth('LlamaForCausalLM');
    const cfg = { ...m.config, architectures: ['LlavaLlamaForCausalLM'], model_type: 'llava', mm_hidden_size: 12, mm_projector_type: 'mlp2x_gelu', mm_vision_tower: 'openai/clip-vit-large-patch14-336' };
    const t = [...onDisk(m), { name: 'model.mm_projector.0.weight', shape: [16, 12] }, { name: 'model.mm_projector.0.bias', shape: [16] }, { name: 'model.mm_projector.2.weight', shape: [16, 16] }, { name: 'model.mm_projector.2.bias', shape: [16] }];
    const a = await analyze(await writeModel(fresh(), cfg, t));
    assert.deepEqual(codes(a, 'error').concat(codes(a, 'warning')), []);
    assert.match(a.findings.find((f) => f.code === 'arch-note')!.message, /clip-vit-large-patch14-336/);
    const a2 = await analyze(await writeModel(fresh(), cfg, onDisk(m)));
    assert.match(a2.findings.find((f) => f.code === 'arch-weights-missing')!.message, /The projector is not in the checkpoint/);
  });
});

describe('quantized checkpoints', () => {
  test('GPTQ: qweight/qzeros/scales/g_idx are the weight, not "unexpected"; parameters unpacked', async () => {
    const m = groundTruth('LlamaForCausalLM');
    const t: { name: string; shape: number[]; dtype?: 'I32' | 'F16' | 'F32' }[] = [];
    for (const x of onDisk(m)) {
      if (x.name.includes('_proj.weight')) {
        const base = x.name.slice(0, -'.weight'.length);
        const [out, inp] = x.shape as [number, number];
        t.push({ name: `${base}.qweight`, shape: [inp / 8, out], dtype: 'I32' }, { name: `${base}.qzeros`, shape: [1, out / 8], dtype: 'I32' }, { name: `${base}.scales`, shape: [1, out], dtype: 'F16' }, { name: `${base}.g_idx`, shape: [inp], dtype: 'I32' });
      } else t.push(x);
    }
    const cfg = { ...m.config, quantization_config: { quant_method: 'gptq', bits: 4, group_size: 128 } };
    const a = await analyze(await writeModel(fresh(), cfg, t));
    assert.deepEqual(codes(a, 'error').concat(codes(a, 'warning')), []);
    const full = onDisk(m).reduce((s, x) => s + x.shape.reduce((p, d) => p * d, 1), 0);
    assert.equal(a.transformers?.parameters.unpacked, full, 'unpacked count = the fp model');
    assert.ok(a.transformers!.parameters.stored < full);
    assert.match(a.findings.find((f) => f.code === 'arch-quantized')!.message, /gptq, 4-bit/);
  });

  test('MLX 4-bit: packed uint32 weights + scales/biases; bitsandbytes NF4 state tensors', async () => {
    const m = groundTruth('Qwen3ForCausalLM', null, '4.51');
    const t: { name: string; shape: number[]; dtype?: 'U32' | 'U8' | 'F16' | 'F32' }[] = [];
    for (const x of onDisk(m)) {
      if (x.name.endsWith('_proj.weight') || x.name === 'lm_head.weight') {
        const base = x.name.slice(0, -'.weight'.length);
        const [out, inp] = x.shape as [number, number];
        t.push({ name: x.name, shape: [out, inp / 8], dtype: 'U32' }, { name: `${base}.scales`, shape: [out, 1], dtype: 'F16' }, { name: `${base}.biases`, shape: [out, 1], dtype: 'F16' });
      } else t.push(x);
    }
    const a = await analyze(await writeModel(fresh(), { ...m.config, quantization: { group_size: 16, bits: 4 } }, t));
    assert.deepEqual(codes(a, 'error').concat(codes(a, 'warning')), []);
    assert.equal(a.transformers?.quantization?.method, 'mlx');
    const full = onDisk(m).reduce((s, x) => s + x.shape.reduce((p, d) => p * d, 1), 0);
    assert.equal(a.transformers?.parameters.unpacked, full - 0);

    const b: { name: string; shape: number[]; dtype?: 'U8' | 'F32' }[] = [];
    for (const x of onDisk(m)) {
      if (x.name.includes('_proj.weight')) {
        const els = x.shape[0]! * x.shape[1]!;
        b.push({ name: x.name, shape: [els / 2, 1], dtype: 'U8' }, { name: `${x.name}.absmax`, shape: [els / 64] }, { name: `${x.name}.quant_map`, shape: [16] }, { name: `${x.name}.quant_state.bitsandbytes__nf4`, shape: [100], dtype: 'U8' });
      } else b.push(x);
    }
    const a2 = await analyze(await writeModel(fresh(), { ...m.config, quantization_config: { quant_method: 'bitsandbytes', load_in_4bit: true } }, b));
    assert.deepEqual(codes(a2, 'error').concat(codes(a2, 'warning')), []);
    assert.equal(a2.transformers?.parameters.unpacked, full);
  });
});

describe('sharded and index-only', () => {
  async function sharded(dir: string, m: ReturnType<typeof groundTruth>, shards: number, keep: (k: number) => boolean): Promise<string> {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'config.json'), JSON.stringify(m.config));
    const t = onDisk(m);
    const per = Math.ceil(t.length / shards);
    const wm: Record<string, string> = {};
    for (let k = 0; k < shards; k++) {
      const name = `model-${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
      const part = t.slice(k * per, (k + 1) * per);
      for (const x of part) wm[x.name] = name;
      if (keep(k)) await writeModel(dir, null, part, name);
    }
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ metadata: {}, weight_map: wm }));
    return join(dir, 'model.safetensors.index.json');
  }

  test('index only (no shard on disk): a names-only check, one "index-only" finding, exit 0 for a complete weight_map', async () => {
    const m = groundTruth('MixtralForCausalLM');
    const idx = await sharded(fresh(), m, 3, () => false);
    const a = await analyze(idx);
    assert.deepEqual(codes(a, 'error'), []);
    assert.ok(codes(a).includes('index-only'));
    assert.ok(codes(a).includes('arch-names-only'));
    assert.ok(!codes(a).includes('shard-missing'), 'absent shards are not one error each');
    assert.equal(a.transformers?.namesOnly, true);
    assert.equal(a.transformers?.missing.length, 0);
    const cli = runCli(['inspect', idx, '--no-values']);
    assert.equal(cli.code, 0, cli.stdout);
    assert.match(cli.stdout, /names only/);
  });

  test('index only, weight_map without the untied head: the head is named, not hundreds of tensors', async () => {
    const m = groundTruth('LlamaForCausalLM');
    const dir = fresh();
    mkdirSync(dir);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(m.config));
    const wm: Record<string, string> = {};
    for (const t of onDisk(m)) if (t.name !== 'lm_head.weight') wm[t.name] = 'model-00001-of-00002.safetensors';
    writeFileSync(join(dir, 'model.safetensors.index.json'), JSON.stringify({ weight_map: wm }));
    const a = await analyze(join(dir, 'model.safetensors.index.json'));
    assert.deepEqual(codes(a, 'error'), ['arch-lm-head-missing']);
  });

  test("one shard's tensors missing on disk: the reader's shard error stays, the architecture check sees the names", async () => {
    const m = groundTruth('GPT2LMHeadModel');
    const idx = await sharded(fresh(), m, 3, (k) => k !== 1);
    const a = await analyze(idx);
    assert.ok(codes(a, 'error').includes('shard-missing'));
    assert.ok(!codes(a).includes('index-only'));
    assert.ok(!codes(a).includes('arch-weights-missing'), 'named in the weight_map: not "missing" tensors');
    assert.ok(a.transformers!.namesOnlyTensors > 0);
  });
});

describe('unknown architectures are never a pass', () => {
  test('config.json with an unknown model_type: "not checked" warning', async () => {
    const path = await writeModel(fresh(), { model_type: 'xgenmm', architectures: ['XGenMMModelForConditionalGeneration'] }, [{ name: 'vlm.lang_model.lm_head.weight', shape: [4, 4] }]);
    const a = await analyze(path);
    const f = a.findings.find((x) => x.code === 'arch-unknown')!;
    assert.equal(f.severity, 'warning');
    assert.match(f.message, /^Not checked: unknown architecture `xgenmm`/);
    assert.match(f.message, /explain-log/);
    const cli = runCli(['inspect', path, '--no-values']);
    assert.match(cli.stdout, /arch-unknown/);
    assert.doesNotMatch(cli.stdout, /No findings/);
  });
});

describe('no config.json', () => {
  test('a Llama-looking file without config.json: "not checked", and what to put beside it', async () => {
    const m = groundTruth('LlamaForCausalLM');
    const a = await analyze(await writeModel(fresh(), null, onDisk(m)));
    const f = a.findings.find((x) => x.code === 'arch-config-missing')!;
    assert.ok(f, JSON.stringify(codes(a)));
    assert.match(f.message, /^Not checked: .*config\.json/);
    assert.equal(a.transformers ?? null, null);
  });
});

describe('PEFT adapters (written by peft 0.15.2)', () => {
  const FIX = join(__dirname, '..', 'fixtures', 'architectures', 'peft');
  const adapterDir = (name: string, baseConfigOf?: string): string => {
    const d = fresh();
    mkdirSync(d);
    for (const f of ['adapter_config.json', 'adapter_model.safetensors']) copyFileSync(join(FIX, name, f), join(d, f));
    if (baseConfigOf) copyFileSync(join(FIX, `${baseConfigOf}-base`, 'config.json'), join(d, 'config.json'));
    return d;
  };

  test('LoRA on its base (config.json beside): rank, alpha, targets, every module found', async () => {
    const d = adapterDir('llama-lora', 'llama-lora');
    const a = await analyze(join(d, 'adapter_model.safetensors'));
    assert.deepEqual(codes(a, 'error').concat(codes(a, 'warning')), []);
    assert.equal(a.peft?.config.r, 4);
    assert.equal(a.peft?.config.alpha, 8);
    assert.deepEqual(a.peft?.targets, ['q_proj', 'v_proj']);
    assert.equal(a.peft?.modules.length, 4);
    assert.deepEqual(a.peft?.base?.missingModules, []);
    assert.match(a.findings.find((f) => f.code === 'peft-adapter')!.message, /r=4, alpha=8 \(scale 2\)/);
    assert.equal(a.transformers ?? null, null, 'an adapter is not checked as a full model');
  });

  test('DoRA over all linear layers, and a BERT classifier adapter with modules_to_save', async () => {
    const a = await analyze(join(adapterDir('llama-dora-all-linear', 'llama-dora-all-linear'), 'adapter_model.safetensors'));
    assert.deepEqual(codes(a, 'error'), []);
    assert.equal(a.peft?.config.useDora, true);
    assert.deepEqual(a.peft?.targets, ['down_proj', 'gate_proj', 'k_proj', 'o_proj', 'q_proj', 'up_proj', 'v_proj']);
    const b = await analyze(join(adapterDir('bert-seqcls-lora', 'bert-seqcls-lora'), 'adapter_model.safetensors'));
    assert.deepEqual(codes(b, 'error'), []);
    assert.deepEqual(b.peft?.savedModules, ['classifier.bias', 'classifier.weight']);
  });

  test('adapter on the wrong base: every module missing → error; CLI --base does the same', async () => {
    const d = adapterDir('llama-lora', 'bert-seqcls-lora');
    const a = await analyze(join(d, 'adapter_model.safetensors'));
    const f = a.findings.find((x) => x.code === 'peft-wrong-base')!;
    assert.equal(f.severity, 'error');
    assert.match(f.message, /^None of the adapted modules exist in the base model/);
    const d2 = adapterDir('llama-lora');
    const cli = runCli(['inspect', join(d2, 'adapter_model.safetensors'), '--no-values', '--base', join(FIX, 'bert-seqcls-lora-base')]);
    assert.equal(cli.code, 1, cli.stdout + cli.stderr);
    assert.match(cli.stdout, /peft-wrong-base/);
    const ok = runCli(['inspect', join(d2, 'adapter_model.safetensors'), '--no-values', '--base', join(FIX, 'llama-lora-base')]);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.match(ok.stdout, /r=4, alpha=8/);
  });

  test('adapter on a base of another size: shape mismatch', async () => {
    const d = adapterDir('llama-lora');
    const big = groundTruth('LlamaForCausalLM').config;
    writeFileSync(join(d, 'config.json'), JSON.stringify({ ...big, hidden_size: 32, head_dim: 8 }));
    const a = await analyze(join(d, 'adapter_model.safetensors'));
    assert.ok(codes(a, 'error').includes('peft-shape-mismatch'), JSON.stringify(codes(a)));
  });

  test('no base beside and none given: said so, not a pass of the key match', async () => {
    const a = await analyze(join(adapterDir('llama-lora'), 'adapter_model.safetensors'));
    assert.ok(codes(a).includes('peft-base-unknown'));
  });
});

describe('quantization names and counts (unit)', () => {
  test('AWQ / GPTQ int32 packing, MLX uint32, bnb 4-bit bytes; aux tensors count nothing', async () => {
    const { quantNameOf, unpackedParameters, quantFromConfig } = await import('../../src/analysis/quantization.js');
    const names = new Set(['a.qweight', 'a.qzeros', 'a.scales', 'a.g_idx', 'b.weight', 'b.scales', 'b.biases', 'c.weight', 'c.weight.absmax', 'd.weight', 'd.weight_scale', 'e_blocks', 'e_scales']);
    const has = (n: string) => names.has(n);
    assert.deepEqual(quantNameOf('a.qweight', has, 'awq'), { logical: 'a.weight', kind: 'packed' });
    assert.deepEqual(quantNameOf('a.scales', has, 'awq'), { logical: 'a.weight', kind: 'aux' });
    assert.deepEqual(quantNameOf('b.scales', has, 'mlx'), { logical: 'b.weight', kind: 'aux' });
    assert.deepEqual(quantNameOf('b.weight', has, 'mlx'), { logical: 'b.weight', kind: 'packed' });
    assert.deepEqual(quantNameOf('c.weight.absmax', has, 'bitsandbytes-4bit'), { logical: 'c.weight', kind: 'aux' });
    assert.deepEqual(quantNameOf('d.weight_scale', has, 'fp8'), { logical: 'd.weight', kind: 'aux' });
    assert.deepEqual(quantNameOf('d.weight', has, 'fp8').kind, 'packed');
    assert.deepEqual(quantNameOf('e_scales', has, 'mxfp4'), { logical: 'e', kind: 'aux' });
    // A plain `x.scales` with no packed sibling is a real parameter (e.g. a model's own `scales`).
    assert.deepEqual(quantNameOf('z.scales', has, 'mlx'), { logical: null, kind: 'plain' });
    assert.equal(unpackedParameters('packed', 'I32', 100, 4, 'a.qweight'), 800);
    assert.equal(unpackedParameters('packed', 'I32', 100, 8, 'a.qweight'), 400);
    assert.equal(unpackedParameters('packed', 'U32', 100, 4, 'b.weight'), 800);
    assert.equal(unpackedParameters('packed', 'U8', 100, 4, 'c.weight'), 200);
    assert.equal(unpackedParameters('packed', 'F8_E4M3', 100, 8, 'd.weight'), 100);
    assert.equal(unpackedParameters('aux', 'F16', 100, 4, 'a.scales'), 0);
    assert.equal(quantFromConfig({ quantization_config: { quant_method: 'awq', bits: 4, group_size: 128 } })?.method, 'awq');
    assert.equal(quantFromConfig({ quantization_config: { quant_method: 'bitsandbytes', load_in_8bit: true } })?.method, 'bitsandbytes-8bit');
    assert.equal(quantFromConfig(null, { bits: 4, group_size: 128 })?.method, 'gptq');
  });

  test('inspect --json carries the transformers check (class, counts, roles of missing tensors)', async () => {
    const m = groundTruth('BertForMaskedLM');
    const path = await writeModel(fresh(), m.config, onDisk(m).filter((t) => !t.name.startsWith('cls.predictions.transform.')));
    const cli = runCli(['inspect', path, '--json', '--no-values']);
    assert.equal(cli.code, 1);
    const j = JSON.parse(cli.stdout) as Analysis;
    assert.equal(j.transformers?.className, 'BertForMaskedLM');
    assert.deepEqual(
      j.transformers?.missing.map((x) => [x.name, x.role, x.label]),
      ['cls.predictions.transform.dense.weight', 'cls.predictions.transform.dense.bias', 'cls.predictions.transform.LayerNorm.weight', 'cls.predictions.transform.LayerNorm.bias'].map((n) => [n, 'weight', 'the output head']),
    );
    assert.match(j.findings.find((f) => f.code === 'arch-weights-missing')!.message, /^The output head is incomplete: 4 of its/);
  });
});
