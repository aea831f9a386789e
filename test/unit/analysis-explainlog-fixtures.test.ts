import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { explainLog, explainLogExitCode, parseLoadLog, type LogExplanation } from '../../src/analysis/explainLog.js';

/**
 * Every loading log in test/fixtures/explain-log/: `captured/` are logs the real libraries printed
 * (make_logs.py: transformers 4.44.2 and 5.23.0, peft 0.12 and 0.21, timm 0.9.16, diffusers 0.30.3, open_clip
 * 2.26.1, torch 1.13 and 2.x), `pasted/` are logs in the shapes users paste into GitHub issues
 * (logger prefixes, `# ` comments, ANSI remains, cut lists, CRLF). Each row: the exit code and,
 * per report, the model class, kind, counts [missing, unused, mismatched], verdict and every
 * finding code with its severity (e/w/i). Name-level checks follow in the second suite.
 */
// The package is CommonJS, so tests get __dirname.
const DIR = path.join(__dirname, '..', 'fixtures', 'explain-log');

interface Row {
  cls: string | null;
  kind: string;
  n: [number, number, number];
  verdict: string;
  codes: string;
}

const EXPECTED: [string, 0 | 1, Row[]][] = [
  ['captured/diffusers0303-diffusers-unet-keys-missing.log', 1, [{ cls: "UNet2DConditionModel", kind: 'strict-failure', n: [6, 0, 0], verdict: 'load-failed', codes: 'load-failed:e backbone-missing:e' }]],
  ['captured/diffusers0303-diffusers-unet-low-mem-false.log', 1, [{ cls: "UNet2DConditionModel", kind: 'init-warning', n: [6, 1, 0], verdict: 'weights-lost', codes: 'backbone-missing:e unexpected-tensors:w' }]],
  ['captured/openclip226-open-clip-nested-model-key.log', 1, [{ cls: "CLIP", kind: 'strict-failure', n: [62, 2, 0], verdict: 'load-failed', codes: 'load-failed:e nested-checkpoint:e' }]],
  ['captured/openclip226-open-clip-training-checkpoint.log', 0, []],
  ['captured/openclip226-open-clip-vision-only-strict.log', 1, [{ cls: "CLIP", kind: 'strict-failure', n: [30, 0, 0], verdict: 'load-failed', codes: 'load-failed:e text-tower-missing:e projection-missing:e logit-scale-missing:w' }]],
  ['captured/tf444-bert-all-ok.log', 0, [{ cls: "BertModel", kind: 'init-warning', n: [0, 0, 0], verdict: 'fine', codes: 'all-weights-loaded:i' }]],
  ['captured/tf444-bert-base-into-seqcls-loguru.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['captured/tf444-bert-base-into-seqcls-tty.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['captured/tf444-bert-base-into-seqcls.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['captured/tf444-bert-labels-mismatch-ignored.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [0, 0, 2], verdict: 'train-before-use', codes: 'task-head-resized:i' }]],
  ['captured/tf444-bert-labels-mismatch-raises.log', 1, [{ cls: "BertForSequenceClassification", kind: 'strict-failure', n: [0, 0, 2], verdict: 'load-failed', codes: 'load-failed:e task-head-resized:i' }]],
  ['captured/tf444-bertmodel-into-mlm.log', 1, [{ cls: "BertForMaskedLM", kind: 'init-warning', n: [6, 2, 0], verdict: 'weights-lost', codes: 'tied-weights:i lm-head-missing:e pooler-unused:i' }]],
  ['captured/tf444-clip-into-textmodel.log', 0, [{ cls: "CLIPTextModel", kind: 'init-warning', n: [0, 42, 0], verdict: 'fine', codes: 'other-tower-unused:i' }]],
  ['captured/tf444-clip-text-tower-dropped.log', 1, [{ cls: "CLIPModel", kind: 'init-warning', n: [38, 0, 0], verdict: 'weights-lost', codes: 'text-tower-missing:e projection-missing:e logit-scale-missing:w' }]],
  ['captured/tf444-gpt2-into-seqcls.log', 0, [{ cls: "GPT2ForSequenceClassification", kind: 'init-warning', n: [1, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/tf444-llama-embed-tokens-dropped.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e' }]],
  ['captured/tf444-llama-into-seqcls.log', 0, [{ cls: "LlamaForSequenceClassification", kind: 'init-warning', n: [1, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/tf444-llama-untied-head-dropped.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'lm-head-missing:e' }]],
  ['captured/tf444-llava-vision-tower-dropped.log', 1, [{ cls: "LlavaForConditionalGeneration", kind: 'init-warning', n: [43, 0, 0], verdict: 'weights-lost', codes: 'tower-weights-missing:e projector-missing:e' }]],
  ['captured/tf444-peft-adapter-wrong-base-transformers.log', 1, [{ cls: null, kind: 'init-warning', n: [0, 8, 0], verdict: 'weights-lost', codes: 'adapter-weights-unused:e' }]],
  ['captured/tf444-peft-lora-strict-false-print.log', 1, [{ cls: null, kind: 'non-strict', n: [8, 24, 0], verdict: 'weights-lost', codes: 'prefix-shift:e adapter-weights-unused:e' }]],
  ['captured/tf444-peft-state-dict-into-base.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [39, 55, 0], verdict: 'weights-lost', codes: 'prefix-shift:e adapter-weights-unused:e' }]],
  ['captured/tf444-two-models-one-log-tty.log', 1, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }, { cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e' }, { cls: "CLIPModel", kind: 'init-warning', n: [38, 0, 0], verdict: 'weights-lost', codes: 'text-tower-missing:e projection-missing:e logit-scale-missing:w' }]],
  ['captured/tf444-two-models-one-log.log', 1, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }, { cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e' }]],
  ['captured/tf5-bert-all-ok.log', 0, []],
  ['captured/tf5-bert-base-into-seqcls-loguru.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['captured/tf5-bert-base-into-seqcls-tty.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['captured/tf5-bert-base-into-seqcls.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['captured/tf5-bert-labels-mismatch-ignored.log', 0, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [0, 0, 2], verdict: 'train-before-use', codes: 'task-head-resized:i' }]],
  ['captured/tf5-bert-labels-mismatch-raises.log', 1, [{ cls: "BertForSequenceClassification", kind: 'strict-failure', n: [0, 0, 2], verdict: 'load-failed', codes: 'load-failed:e task-head-resized:i' }]],
  ['captured/tf5-bertmodel-into-mlm.log', 1, [{ cls: "BertForMaskedLM", kind: 'init-warning', n: [6, 2, 0], verdict: 'weights-lost', codes: 'tied-weights:i lm-head-missing:e pooler-unused:i' }]],
  ['captured/tf5-clip-into-textmodel.log', 0, [{ cls: "CLIPTextModel", kind: 'init-warning', n: [0, 42, 0], verdict: 'fine', codes: 'other-tower-unused:i' }]],
  ['captured/tf5-clip-text-tower-dropped.log', 1, [{ cls: "CLIPModel", kind: 'init-warning', n: [38, 0, 0], verdict: 'weights-lost', codes: 'text-tower-missing:e projection-missing:e logit-scale-missing:w' }]],
  ['captured/tf5-gpt2-into-seqcls.log', 0, [{ cls: "GPT2ForSequenceClassification", kind: 'init-warning', n: [1, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/tf5-llama-embed-tokens-dropped.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e' }]],
  ['captured/tf5-llama-into-seqcls.log', 0, [{ cls: "LlamaForSequenceClassification", kind: 'init-warning', n: [1, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/tf5-llama-untied-head-dropped.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'lm-head-missing:e' }]],
  ['captured/tf5-llava-vision-tower-dropped.log', 1, [{ cls: "LlavaForConditionalGeneration", kind: 'init-warning', n: [43, 0, 0], verdict: 'weights-lost', codes: 'tower-weights-missing:e projector-missing:e' }]],
  ['captured/tf5-peft-adapter-on-deeper-base.log', 1, [{ cls: null, kind: 'init-warning', n: [8, 0, 0], verdict: 'weights-lost', codes: 'adapter-weights-missing:e' }]],
  ['captured/tf5-peft-adapter-wrong-base-transformers.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [0, 8, 0], verdict: 'weights-lost', codes: 'adapter-weights-unused:e' }]],
  ['captured/tf5-peft-lora-strict-false-print.log', 1, [{ cls: null, kind: 'non-strict', n: [8, 24, 0], verdict: 'weights-lost', codes: 'prefix-shift:e adapter-weights-unused:e' }]],
  ['captured/tf5-peft-state-dict-into-base.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [39, 55, 0], verdict: 'weights-lost', codes: 'prefix-shift:e adapter-weights-unused:e' }]],
  ['captured/tf5-two-models-one-log-tty.log', 1, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }, { cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e' }, { cls: "CLIPModel", kind: 'init-warning', n: [38, 0, 0], verdict: 'weights-lost', codes: 'text-tower-missing:e projection-missing:e logit-scale-missing:w' }]],
  ['captured/tf5-two-models-one-log.log', 1, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [2, 7, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }, { cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e' }]],
  ['captured/timm0916-timm-head-adapted.log', 0, [{ cls: null, kind: 'init-warning', n: [2, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/timm0916-timm-in-chans.log', 0, [{ cls: null, kind: 'init-warning', n: [0, 0, 0], verdict: 'fine', codes: 'all-weights-loaded:i' }]],
  ['captured/timm0916-timm-strict-block-missing.log', 1, [{ cls: "VisionTransformer", kind: 'strict-failure', n: [12, 1, 0], verdict: 'load-failed', codes: 'load-failed:e tensors-missing:e unexpected-tensors:w' }]],
  ['captured/torch113-nonstrict-all-matched.log', 0, [{ cls: null, kind: 'non-strict', n: [0, 0, 0], verdict: 'fine', codes: 'all-weights-loaded:i' }]],
  ['captured/torch113-nonstrict-print.log', 0, [{ cls: null, kind: 'non-strict', n: [2, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/torch113-strict-dataparallel-prefix.log', 1, [{ cls: "Net", kind: 'strict-failure', n: [14, 16, 0], verdict: 'load-failed', codes: 'load-failed:e prefix-shift:e buffers-unused:i' }]],
  ['captured/torch113-strict-fc-size-mismatch.log', 1, [{ cls: "Net", kind: 'strict-failure', n: [0, 0, 2], verdict: 'load-failed', codes: 'load-failed:e task-head-resized:i' }]],
  ['captured/torch113-strict-nested-checkpoint.log', 1, [{ cls: "Net", kind: 'strict-failure', n: [14, 3, 0], verdict: 'load-failed', codes: 'load-failed:e nested-checkpoint:e' }]],
  ['captured/torch2-nonstrict-all-matched.log', 0, [{ cls: null, kind: 'non-strict', n: [0, 0, 0], verdict: 'fine', codes: 'all-weights-loaded:i' }]],
  ['captured/torch2-nonstrict-print.log', 0, [{ cls: null, kind: 'non-strict', n: [2, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['captured/torch2-strict-dataparallel-prefix.log', 1, [{ cls: "Net", kind: 'strict-failure', n: [14, 16, 0], verdict: 'load-failed', codes: 'load-failed:e prefix-shift:e buffers-unused:i' }]],
  ['captured/torch2-strict-fc-size-mismatch.log', 1, [{ cls: "Net", kind: 'strict-failure', n: [0, 0, 2], verdict: 'load-failed', codes: 'load-failed:e task-head-resized:i' }]],
  ['captured/torch2-strict-nested-checkpoint.log', 1, [{ cls: "Net", kind: 'strict-failure', n: [14, 3, 0], verdict: 'load-failed', codes: 'load-failed:e nested-checkpoint:e' }]],
  ['pasted/bert-decoder-crossattention.log', 0, [{ cls: "BertLMHeadModel", kind: 'init-warning', n: [4, 0, 0], verdict: 'train-before-use', codes: 'new-by-design:i' }]],
  ['pasted/clip-nested-state-dict.log', 1, [{ cls: "CLIPModel", kind: 'init-warning', n: [10, 1, 0], verdict: 'weights-lost', codes: 'nested-checkpoint:e' }]],
  ['pasted/diffusers-cannot-load-pasted.log', 1, [{ cls: "UNet2DConditionModel", kind: 'strict-failure', n: [3, 0, 0], verdict: 'load-failed', codes: 'load-failed:e backbone-missing:e' }]],
  ['pasted/diffusers-cliptext-position-ids-no-at.log', 0, [{ cls: "CLIPTextModel", kind: 'init-warning', n: [0, 1, 0], verdict: 'fine', codes: 'buffers-unused:i' }, { cls: "CLIPTextModelWithProjection", kind: 'init-warning', n: [0, 1, 0], verdict: 'fine', codes: 'buffers-unused:i' }]],
  ['pasted/gptq-into-unquantized.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [1, 4, 0], verdict: 'weights-lost', codes: 'backbone-missing:e quantized-weights-unused:e' }]],
  ['pasted/incompatible-keys-openclip.log', 1, [{ cls: null, kind: 'non-strict', n: [3, 1, 0], verdict: 'weights-lost', codes: 'projection-missing:e logit-scale-missing:w unexpected-tensors:w' }]],
  ['pasted/llama-inv-freq-unused.log', 0, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [0, 3, 0], verdict: 'fine', codes: 'buffers-unused:i' }]],
  ['pasted/llama-old-conversion-layout.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [10, 10, 0], verdict: 'weights-lost', codes: 'layout-mismatch:w backbone-missing:e unexpected-tensors:w' }]],
  ['pasted/llava-finetuned-projector-missing.log', 1, [{ cls: "LlavaLlamaForCausalLM", kind: 'init-warning', n: [4, 0, 0], verdict: 'weights-lost', codes: 'projector-missing:e' }]],
  ['pasted/llava-stage1-projector.log', 0, [{ cls: "LlavaLlamaForCausalLM", kind: 'init-warning', n: [4, 0, 0], verdict: 'train-before-use', codes: 'new-by-design:i' }]],
  ['pasted/llava-vision-tower-unused.log', 0, [{ cls: "LlavaLlamaForCausalLM", kind: 'init-warning', n: [0, 6, 0], verdict: 'fine', codes: 'tower-loaded-separately:i buffers-unused:i' }]],
  ['pasted/marian-sinusoidal.log', 0, [{ cls: "MarianMTModel", kind: 'init-warning', n: [2, 0, 0], verdict: 'fine', codes: 'fixed-positions-missing:i' }]],
  ['pasted/nothing.log', 0, []],
  ['pasted/peft-lora-and-int8-unused.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [4, 7, 0], verdict: 'weights-lost', codes: 'prefix-shift:e adapter-weights-unused:e quantized-weights-unused:e' }]],
  ['pasted/sd-cliptext-vision-unused-cut.log', 0, [{ cls: "CLIPTextModel", kind: 'init-warning', n: [0, 7, 0], verdict: 'fine', codes: 'other-tower-unused:i log-lists-elided:i' }]],
  ['pasted/timm-head-adapted-crlf.log', 0, [{ cls: null, kind: 'init-warning', n: [2, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['pasted/torch-position-ids-unexpected.log', 1, [{ cls: "BertModel", kind: 'strict-failure', n: [0, 1, 0], verdict: 'load-failed', codes: 'load-failed:e buffers-unused:i' }]],
  ['pasted/torch-traceback-echo-line.log', 1, [{ cls: "ResNet", kind: 'strict-failure', n: [6, 6, 0], verdict: 'load-failed', codes: 'load-failed:e prefix-shift:e log-lists-elided:i' }]],
  ['pasted/user-print-missing-keys.log', 0, [{ cls: null, kind: 'non-strict', n: [2, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['pasted/v2-bert-examples-format.log', 0, [{ cls: "BertForMultiLabelSequenceClassification", kind: 'init-warning', n: [2, 8, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i buffers-unused:i' }]],
  ['pasted/v2-bert-tokencls-quoted.log', 0, [{ cls: "BertForTokenClassification", kind: 'init-warning', n: [2, 5, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i buffers-unused:i' }]],
  ['pasted/v3-gpt2-masked-bias.log', 0, [{ cls: "GPT2LMHeadModel", kind: 'init-warning', n: [13, 0, 0], verdict: 'fine', codes: 'tied-weights:i buffers-missing:i' }]],
  ['pasted/v4-bert-encoder-destroyed-trainer.log', 1, [{ cls: "BertForSequenceClassification", kind: 'init-warning', n: [8, 0, 0], verdict: 'weights-lost', codes: 'task-head-new:i embeddings-missing:e backbone-missing:e' }]],
  ['pasted/v4-bert-mlm-decoder-bias.log', 0, [{ cls: "BertForMaskedLM", kind: 'init-warning', n: [1, 0, 0], verdict: 'fine', codes: 'tied-weights:i' }]],
  ['pasted/v4-distilbert-seqcls-pylog.log', 0, [{ cls: "DistilBertForSequenceClassification", kind: 'init-warning', n: [4, 5, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i' }]],
  ['pasted/v4-roberta-qa.log', 0, [{ cls: "RobertaForQuestionAnswering", kind: 'init-warning', n: [2, 8, 0], verdict: 'train-before-use', codes: 'task-head-new:i pretraining-head-unused:i pooler-unused:i buffers-unused:i' }]],
  ['pasted/v4-vocab-resized-shapes.log', 1, [{ cls: "LlamaForCausalLM", kind: 'init-warning', n: [0, 0, 2], verdict: 'weights-lost', codes: 'shape-mismatch:e' }]],
  ['pasted/v5-colors-logger-prefix.log', 1, [{ cls: "Qwen2ForCausalLM", kind: 'init-warning', n: [7, 1, 0], verdict: 'weights-lost', codes: 'embeddings-missing:e backbone-missing:e buffers-unused:i' }]],
  ['pasted/v5-headerless.log', 1, [{ cls: null, kind: 'init-warning', n: [30, 0, 0], verdict: 'weights-lost', codes: 'lm-head-tie-unknown:w embeddings-missing:e backbone-missing:e log-table-without-header:i' }]],
  ['pasted/v5-in-comments.log', 0, [{ cls: "ModernBertForSequenceClassification", kind: 'init-warning', n: [4, 0, 0], verdict: 'train-before-use', codes: 'task-head-new:i' }]],
  ['pasted/v5-two-reports-pasted.log', 1, [{ cls: "Gemma3ForConditionalGeneration", kind: 'init-warning', n: [2, 0, 0], verdict: 'weights-lost', codes: 'tower-weights-missing:e projector-missing:e' }, { cls: "T5ForConditionalGeneration", kind: 'init-warning', n: [2, 0, 0], verdict: 'fine', codes: 'tied-weights:i' }]],
];

function load(file: string): LogExplanation {
  return explainLog(parseLoadLog(readFileSync(path.join(DIR, file), 'utf8')));
}

describe('explain-log on real and pasted loading logs', () => {
  for (const [file, exit, rows] of EXPECTED) {
    it(file, () => {
      const ex = load(file);
      assert.equal(ex.reports.length, rows.length, 'number of reports');
      rows.forEach((row, i) => {
        const r = ex.reports[i]!;
        assert.equal(r.modelClass, row.cls, `report ${i}: class`);
        assert.equal(r.kind, row.kind, `report ${i}: kind`);
        assert.deepEqual([r.counts.missing, r.counts.unexpected, r.counts.mismatched], row.n, `report ${i}: counts`);
        assert.equal(r.verdict, row.verdict, `report ${i}: verdict`);
        assert.equal(r.findings.map((f) => `${f.code}:${f.severity[0]}`).join(' '), row.codes, `report ${i}: findings`);
      });
      assert.equal(explainLogExitCode(ex), exit, 'exit code');
    });
  }
});

/** Names of one report's group (list / part / role). */
function group(ex: LogExplanation, report: number, list: string, role: string): string[] {
  return ex.reports[report]!.groups.filter((g) => g.list === list && g.role === role).flatMap((g) => g.names).sort();
}
function finding(ex: LogExplanation, code: string) {
  const f = ex.findings.find((x) => x.code === code);
  assert.ok(f, `finding ${code} in ${ex.findings.map((x) => x.code).join(', ')}`);
  return f;
}

describe('explain-log: names, grouping and severity', () => {
  it('transformers v4: a base checkpoint into a task class → task head info, pre-training head dropped', () => {
    const ex = load('captured/tf444-bert-base-into-seqcls.log');
    assert.deepEqual(group(ex, 0, 'missing', 'task-head'), ['classifier.bias', 'classifier.weight']);
    assert.equal(group(ex, 0, 'unexpected', 'pretraining-head').length, 7);
    assert.match(finding(ex, 'task-head-new').message, /train BertForSequenceClassification before use/);
    assert.equal(ex.reports[0]!.checkpoint?.endsWith('/bert-base'), true);
  });

  it('transformers v5 with ANSI colours through a TTY reads the same names as without', () => {
    const plain = load('captured/tf5-bert-base-into-seqcls.log');
    const tty = load('captured/tf5-bert-base-into-seqcls-tty.log');
    assert.match(readFileSync(path.join(DIR, 'captured/tf5-bert-base-into-seqcls-tty.log'), 'utf8'), /\u001b\[31mMISSING/);
    assert.deepEqual(tty.reports[0]!.groups, plain.reports[0]!.groups);
  });

  it('v5 set notation {0, 1} expands to one name per layer; the whole CLIP text tower is called whole only when it is', () => {
    const ex = load('captured/tf5-clip-text-tower-dropped.log');
    const missing = ex.parsed.missing;
    assert.ok(missing.includes('text_model.encoder.layers.0.mlp.fc1.weight') && missing.includes('text_model.encoder.layers.1.mlp.fc1.weight'));
    assert.ok(!missing.some((n) => n.includes('{')));
    assert.match(finding(ex, 'text-tower-missing').message, /whole text tower \(36 tensors\)/);
    // six names of a tower are not "the whole tower"
    const six = explainLog(parseLoadLog(`Some weights of CLIPModel were not initialized from the model checkpoint at x and are newly initialized: [${['visual.conv1.weight', 'visual.ln_post.weight', 'visual.transformer.resblocks.0.ln_1.weight', 'visual.transformer.resblocks.1.ln_1.weight', 'visual.class_embedding', 'visual.positional_embedding'].map((s) => `'${s}'`).join(', ')}]`));
    assert.ok(!six.findings.some((f) => f.code === 'vision-tower-missing'));
    assert.match(finding(six, 'tensors-missing').message, /not the whole tower: 6 names/);
  });

  it('several models in one log are reported separately', () => {
    const ex = load('captured/tf5-two-models-one-log-tty.log');
    assert.deepEqual(ex.reports.map((r) => [r.modelClass, r.verdict]), [
      ['BertForSequenceClassification', 'train-before-use'],
      ['LlamaForCausalLM', 'weights-lost'],
      ['CLIPModel', 'weights-lost'],
    ]);
    assert.deepEqual(group(ex, 1, 'missing', 'trained'), ['model.embed_tokens.weight']);
  });

  it('a LoRA adapter onto the wrong base: unused lora_A/lora_B is an error (v5 says "can be ignored")', () => {
    const ex = load('captured/tf5-peft-adapter-wrong-base-transformers.log');
    assert.deepEqual(
      group(ex, 0, 'unexpected', 'adapter'),
      ['q_proj', 'v_proj'].flatMap((m) => [2, 3].flatMap((l) => ['A', 'B'].map((ab) => `model.layers.${l}.self_attn.${m}.lora_${ab}.default.weight`))).sort(),
    );
    assert.equal(finding(ex, 'adapter-weights-unused').severity, 'error');
    assert.match(finding(ex, 'adapter-weights-unused').message, /fine-tune is lost/);
  });

  it('PEFT (0.21) "Found missing adapter keys" through a Python warning: adapter weights missing is an error', () => {
    const ex = load('captured/tf5-peft-adapter-on-deeper-base.log');
    assert.equal(ex.reports[0]!.source, 'peft');
    assert.deepEqual(group(ex, 0, 'missing', 'adapter').length, 8);
    assert.ok(group(ex, 0, 'missing', 'adapter').every((n) => /layers\.[23]\..*lora_[AB]/.test(n)));
  });

  it('PyTorch strict loads: the load failed; nested checkpoint and DataParallel prefix called out', () => {
    const nested = load('captured/torch113-strict-nested-checkpoint.log');
    assert.match(finding(nested, 'load-failed').message, /^The load failed/);
    assert.deepEqual(finding(nested, 'nested-checkpoint').tensors, ['state_dict', 'epoch', 'optimizer']);
    assert.ok(!nested.findings.some((f) => /randomly initialised/.test(f.message)));
    const dp = load('captured/torch113-strict-dataparallel-prefix.log');
    const shift = dp.reports[0]!.shifts[0]!;
    assert.deepEqual([shift.modelPrefix, shift.checkpointPrefix, shift.count], ['', 'module.', 14]);
    assert.match(finding(dp, 'prefix-shift').message, /DataParallel/);
  });

  it('a pasted traceback: the echoed source line is not the class; odd list tokens do not stop the reader', () => {
    const ex = load('pasted/torch-traceback-echo-line.log');
    assert.equal(ex.reports.length, 1);
    assert.equal(ex.reports[0]!.modelClass, 'ResNet');
    assert.deepEqual(ex.parsed.missing, ['conv1.weight', 'bn1.weight', 'bn1.bias', 'layer1.0.conv1.weight', 'fc.weight', 'fc.bias']);
    assert.equal(ex.reports[0]!.elided, true);
  });

  it('a v5 table without its header line still finds the destroyed embed_tokens (exit 1)', () => {
    const ex = load('pasted/v5-headerless.log');
    assert.equal(ex.reports[0]!.modelClass, null);
    assert.equal(ex.parsed.missing.filter((n) => n.endsWith('q_proj.bias')).length, 28);
    assert.equal(finding(ex, 'embeddings-missing').severity, 'error');
    assert.equal(explainLogExitCode(ex), 1);
  });

  it('v5 report behind a logger prefix with colours, and inside # comments', () => {
    const ex = load('pasted/v5-colors-logger-prefix.log');
    assert.equal(ex.reports[0]!.modelClass, 'Qwen2ForCausalLM');
    assert.equal(ex.reports[0]!.checkpoint, './ckpt/step-1200');
    assert.deepEqual(group(ex, 0, 'unexpected', 'buffer'), ['model.rotary_emb.inv_freq']);
    assert.equal(group(ex, 0, 'missing', 'trained').length, 7);
    const c = load('pasted/v5-in-comments.log');
    assert.equal(c.reports[0]!.modelClass, 'ModernBertForSequenceClassification');
    assert.deepEqual(group(c, 0, 'missing', 'task-head'), ['classifier.bias', 'classifier.weight', 'head.dense.weight', 'head.norm.weight']);
  });

  it('diffusers: "were not used when initializing CLIPTextModel:" without "at", and "Cannot load … keys are missing"', () => {
    const ex = load('pasted/diffusers-cliptext-position-ids-no-at.log');
    assert.deepEqual(ex.parsed.reports.map((r) => [r.modelClass, r.checkpoint, r.unexpected]), [
      ['CLIPTextModel', null, ['text_model.embeddings.position_ids']],
      ['CLIPTextModelWithProjection', null, ['text_model.embeddings.position_ids']],
    ]);
    assert.equal(explainLogExitCode(ex), 0);
    const cl = load('captured/diffusers0303-diffusers-unet-keys-missing.log');
    assert.equal(cl.reports[0]!.modelClass, 'UNet2DConditionModel');
    assert.deepEqual([...cl.parsed.missing].sort(), ['conv_in.bias', 'conv_in.weight', 'time_embedding.linear_1.bias', 'time_embedding.linear_1.weight', 'time_embedding.linear_2.bias', 'time_embedding.linear_2.weight']);
  });

  it('over-alarm cases are info: tied heads, buffers, sin-cos tables, new cross-attention, LLaVA tower', () => {
    for (const f of ['pasted/v3-gpt2-masked-bias.log', 'pasted/v4-bert-mlm-decoder-bias.log', 'pasted/marian-sinusoidal.log', 'pasted/bert-decoder-crossattention.log', 'pasted/llava-vision-tower-unused.log', 'pasted/llama-inv-freq-unused.log', 'captured/timm0916-timm-head-adapted.log']) {
      const ex = load(f);
      assert.equal(explainLogExitCode(ex), 0, f);
      assert.ok(!ex.findings.some((x) => x.severity !== 'info'), `${f}: ${ex.findings.map((x) => x.code)}`);
    }
    assert.deepEqual(group(load('pasted/v3-gpt2-masked-bias.log'), 0, 'missing', 'tied'), ['lm_head.weight']);
  });

  it('prefix shift: text_model.embeddings.position_ids (model) vs embeddings.position_ids (checkpoint) is harmless', () => {
    const ex = explainLog(parseLoadLog("Some weights of the model checkpoint at x were not used when initializing CLIPTextModel: ['embeddings.position_ids']\nSome weights of CLIPTextModel were not initialized from the model checkpoint at x and are newly initialized: ['text_model.embeddings.position_ids']"));
    assert.deepEqual(ex.reports[0]!.shifts.map((s) => [s.modelPrefix, s.checkpointPrefix]), [['text_model.', '']]);
    assert.equal(finding(ex, 'prefix-shift').severity, 'info');
  });

  it('Windows line endings, cut lists and wrapped names', () => {
    const crlf = load('pasted/timm-head-adapted-crlf.log');
    assert.deepEqual(crlf.parsed.missing, ['head.weight', 'head.bias']);
    assert.ok(crlf.reports[0]!.notes.includes('timm-head-adapted'));
    const cut = load('pasted/sd-cliptext-vision-unused-cut.log');
    assert.ok(cut.parsed.unexpected.includes('vision_model.encoder.layers.0.self_attn.k_proj.bias'), 'wrapped name joined');
    assert.ok(cut.parsed.unexpected.includes('vision_model.encoder.layers.0.layer_norm2.weight'), "name after '' kept");
    assert.equal(cut.reports[0]!.elided, true);
  });
});
