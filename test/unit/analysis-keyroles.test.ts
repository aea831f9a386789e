import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainLog, explainLogExitCode, parseLoadLog } from '../../src/analysis/explainLog.js';
import { architectureOfClass, classifyKeys, partOf, type ArchitectureRoleSource } from '../../src/analysis/keyRoles.js';
import { expandSetNotation, normaliseLog, parseLoadReports } from '../../src/analysis/logParse.js';
import { hfArchitectureOfClass, SPEC_ROLES } from '../../src/analysis/specRoles.js';

const missingLog = (cls: string, names: string[]) => `Some weights of ${cls} were not initialized from the model checkpoint at ./ckpt and are newly initialized: [${names.map((n) => `'${n}'`).join(', ')}]`;

describe('keyRoles: generic name rules', () => {
  it('parts and roles without an architecture', () => {
    const names = ['classifier.weight', 'qa_outputs.bias', 'score.weight', 'pre_classifier.weight', 'bert.pooler.dense.weight', 'h.3.attn.masked_bias', 'model.layers.0.self_attn.rotary_emb.inv_freq', 'model.layers.2.self_attn.q_proj.lora_B.default.weight', 'model.layers.2.self_attn.q_proj.qweight', 'state_dict', 'model.embed_tokens.weight', 'model.layers.7.mlp.down_proj.weight', 'model.norm.weight'];
    const got = classifyKeys(names, { modelClass: null, list: 'missing' }).map((c) => `${c.part}/${c.role}`);
    assert.deepEqual(got, ['task-head/task-head', 'task-head/task-head', 'task-head/task-head', 'task-head/task-head', 'pooler/pooler', 'blocks/buffer', 'blocks/buffer', 'blocks/adapter', 'blocks/quant-aux', 'container/container', 'embeddings/trained', 'blocks/trained', 'final-norm/trained']);
    assert.equal(partOf('model.mm_projector.0.weight'), 'projector');
    assert.equal(partOf('model.vision_tower.vision_tower.vision_model.encoder.layers.0.mlp.fc1.weight'), 'vision-tower');
  });

  it('class names: task classes, model_type guesses', () => {
    assert.equal(architectureOfClass('XLMRobertaForSequenceClassification'), 'xlm-roberta');
    assert.equal(architectureOfClass('GPT2LMHeadModel'), 'gpt2');
    assert.equal(architectureOfClass('MarianMTModel'), 'marian');
    assert.equal(architectureOfClass('Net'), null);
  });

  it('an architecture source wins for the names it knows; the generic rules fill the rest', () => {
    const source: ArchitectureRoleSource = { classify: (names) => names.map((n) => (n === 'lm_head.weight' ? { part: 'lm-head', role: 'tied', rule: 'test' } : undefined)) };
    const got = classifyKeys(['lm_head.weight', 'model.embed_tokens.weight'], { modelClass: 'FooForCausalLM', list: 'missing' }, source);
    assert.deepEqual(got.map((c) => [c.role, c.rule]), [['tied', 'test'], ['trained', 'generic:trained-default']]);
  });
});

describe('keyRoles: the generated-layout mechanism (src/layouts/spec) as the role source', () => {
  it('finds the entry by class prefix', () => {
    assert.equal(hfArchitectureOfClass('LlamaForSequenceClassification')?.arch.id, 'llama');
    assert.equal(hfArchitectureOfClass('Gemma3ForConditionalGeneration')?.head, 'ForConditionalGeneration');
    assert.equal(hfArchitectureOfClass('NoSuchModelForCausalLM'), undefined);
  });

  it('lm_head: tied for Gemma 3 and GPT-2 by their config defaults, a trained head for Qwen2, unknown for an unknown class', () => {
    const role = (cls: string) => classifyKeys(['lm_head.weight'], { modelClass: cls, list: 'missing' }, SPEC_ROLES)[0]!;
    assert.deepEqual([role('Gemma3ForCausalLM').role, role('Gemma3ForCausalLM').rule], ['tied', 'spec:gemma3_text:ForCausalLM']);
    assert.equal(role('GPT2LMHeadModel').role, 'tied');
    assert.equal(role('Qwen2ForCausalLM').role, 'trained');
    assert.equal(role('MyOwnForCausalLM').role, 'tied-if-configured');
    assert.equal(explainLogExitCode(explainLog(parseLoadLog(missingLog('Gemma3ForCausalLM', ['lm_head.weight'])))), 0);
    const q = explainLog(parseLoadLog(missingLog('Qwen2ForCausalLM', ['lm_head.weight'])));
    assert.deepEqual(q.findings.map((f) => [f.code, f.severity]), [['lm-head-missing', 'error']]);
    const u = explainLog(parseLoadLog(missingLog('MyOwnForCausalLM', ['lm_head.weight'])));
    assert.deepEqual(u.findings.map((f) => [f.code, f.severity]), [['lm-head-tie-unknown', 'warning']]);
  });

  it('task heads from the spec: Llama score, BERT classifier; the backbone by its base prefix', () => {
    const c = classifyKeys(['score.weight', 'model.layers.3.mlp.up_proj.weight'], { modelClass: 'LlamaForSequenceClassification', list: 'missing' }, SPEC_ROLES);
    assert.deepEqual(c.map((x) => `${x.part}/${x.role}/${x.rule}`), ['task-head/task-head/spec:llama:ForSequenceClassification', 'blocks/trained/spec:llama:ForSequenceClassification']);
    // transformers v4 reports some names without the base-model prefix
    assert.equal(classifyKeys(['embed_tokens.weight'], { modelClass: 'LlamaForCausalLM', list: 'missing' }, SPEC_ROLES)[0]!.part, 'embeddings');
  });

  it('a LoRA weight stays an adapter even where the spec knows the layer', () => {
    const c = classifyKeys(['base_model.model.model.layers.0.self_attn.q_proj.lora_A.default.weight'], { modelClass: 'LlamaForCausalLM', list: 'unexpected' }, SPEC_ROLES)[0]!;
    assert.equal(c.role, 'adapter');
  });
});

describe('logParse: forms', () => {
  it('set notation: ranges, lists, nested groups, a cap on the product', () => {
    assert.deepEqual(expandSetNotation('a.{0, 1, 2}.b'), ['a.0.b', 'a.1.b', 'a.2.b']);
    assert.equal(expandSetNotation('a.{0...11}.b').length, 12);
    assert.deepEqual(expandSetNotation('l.{0, 1}.e.{2...3}.w'), ['l.0.e.2.w', 'l.0.e.3.w', 'l.1.e.2.w', 'l.1.e.3.w']);
    assert.deepEqual(expandSetNotation('a.{0...99999}.{0...99999}.b'), ['a.{0...99999}.{0...99999}.b']);
  });

  it('prefixes and colours are removed line by line; the line count is kept', () => {
    const t = '2026-05-08 13:44:20 | INFO | train:main:12 - \u001b[1mX LOAD REPORT\u001b[0m from: p\r\n# [31mfoo[0m\r\n[WARNING|modeling_utils.py:4172] 2024-01-01 10:00:00,123 >> hello\nWARNING:transformers.modeling_utils:Some weights';
    assert.deepEqual(normaliseLog(t).split('\n'), ['X LOAD REPORT from: p', 'foo', 'hello', 'Some weights']);
  });

  it('_IncompatibleKeys is one report (its unexpected_keys are not read twice)', () => {
    const r = parseLoadReports("_IncompatibleKeys(missing_keys=['a.weight'], unexpected_keys=['b.weight'])").reports;
    assert.equal(r.length, 1);
    assert.deepEqual([r[0]!.missing, r[0]!.unexpected, r[0]!.kind], [['a.weight'], ['b.weight'], 'non-strict']);
  });

  it("diffusers' joined list `['a, b']` is two names; a repr'd message with literal \\n\\t is read", () => {
    assert.deepEqual(parseLoadReports("Some weights of the model checkpoint were not used when initializing CLIPTextModel: \n ['text_model.embeddings.position_ids, text_model.foo.weight']").reports[0]!.unexpected, ['text_model.embeddings.position_ids', 'text_model.foo.weight']);
    const r = parseLoadReports("RuntimeError('Error(s) in loading state_dict for Net:\\n\\tMissing key(s) in state_dict: \"fc.weight\", \"fc.bias\". ')").reports;
    assert.deepEqual([r[0]!.modelClass, r[0]!.missing], ['Net', ['fc.weight', 'fc.bias']]);
  });

  it('hostile input: nothing recognised, no crash, bounded', () => {
    for (const t of ['| MISSING |', '{0...', 'Missing key(s) in state_dict: ' + '"'.repeat(10000), "Some weights of X were not initialized from the model checkpoint at p and are newly initialized: ['" + 'a'.repeat(100000)]) {
      const ex = explainLog(parseLoadLog(t));
      assert.ok(Array.isArray(ex.findings));
    }
    const cut = parseLoadReports("Some weights of X were not initialized from the model checkpoint at p and are newly initialized: ['a.b', 'c.d").reports[0]!;
    assert.deepEqual([cut.missing, cut.elided], [['a.b'], true]);
  });
});
