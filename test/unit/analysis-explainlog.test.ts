import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { explainLog, parseLoadLog } from '../../src/analysis/explainLog.js';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Checkpoint } from '../../src/core/checkpoint.js';
import { normalizeNames, toCanonical } from '../../src/layouts/canonical.js';
import { clipTensorSpecs, fakeTensors } from '../helpers/clipFixtures.js';

const codes = (f: { code: string }[]) => f.map((x) => x.code).sort();
const pyList = (names: string[]) => `[${names.map((n) => `'${n}'`).join(', ')}]`;

describe('parseLoadLog + explainLog', () => {
  it('transformers v4: CLIPModel from a vision-only file → whole text tower, text projection, logit_scale', () => {
    const missing = clipTensorSpecs('hf-clip', 'ViT-B-16')
      .filter((s) => s.name.startsWith('text_model.') || s.name === 'text_projection.weight' || s.name === 'logit_scale')
      .map((s) => s.name);
    assert.equal(missing.length, 198);
    const log = `loading...\nSome weights of CLIPModel were not initialized from the model checkpoint at ./clip-vision and are newly initialized: ${pyList(missing)}\nYou should probably TRAIN this model on a down-stream task to be able to use it for predictions and inference.\n`;
    const p = parseLoadLog(log);
    assert.deepEqual(p.sources, ['transformers']);
    assert.equal(p.modelClass, 'CLIPModel');
    assert.equal(p.missing.length, 198);
    const ex = explainLog(p);
    assert.equal(ex.family, 'hf-clip');
    assert.deepEqual(codes(ex.findings), ['logit-scale-missing', 'projection-missing', 'text-tower-missing']);
    const text = ex.towers.find((t) => t.tower === 'text')!;
    assert.equal(text.missing, 196);
    assert.equal(text.wholeMissing, true);
    assert.match(ex.findings.find((f) => f.code === 'text-tower-missing')!.message, /zero-shot is broken/);
  });

  it('transformers v4 unused weights and shape mismatches', () => {
    const log = [
      "Some weights of the model checkpoint at openai/clip were not used when initializing CLIPVisionModel: ['text_model.embeddings.token_embedding.weight', 'text_model.final_layer_norm.weight']",
      '- This IS expected if you are initializing CLIPVisionModel from the checkpoint of a model trained on another task',
      'Some weights of CLIPModel were not initialized from the model checkpoint at x and are newly initialized because the shapes did not match:',
      '- vision_model.embeddings.patch_embedding.weight: found shape torch.Size([768, 3, 32, 32]) in the checkpoint and torch.Size([768, 3, 16, 16]) in the model instantiated',
    ].join('\n');
    const p = parseLoadLog(log);
    assert.equal(p.unexpected.length, 2);
    assert.deepEqual(p.mismatched, [{ name: 'vision_model.embeddings.patch_embedding.weight', checkpoint: [768, 3, 32, 32], model: [768, 3, 16, 16] }]);
    // two loads (CLIPVisionModel, CLIPModel): the vision model does not use the text tower by design
    const ex = explainLog(p);
    assert.deepEqual(ex.reports.map((r) => r.modelClass), ['CLIPVisionModel', 'CLIPModel']);
    assert.deepEqual(codes(ex.findings), ['other-tower-unused', 'shape-mismatch']);
  });

  it('PyTorch strict load of an open_clip vision-only dict (150 missing)', () => {
    const missing = clipTensorSpecs('openai-clip', 'ViT-B-16')
      .filter((s) => !s.name.startsWith('visual.'))
      .map((s) => s.name);
    assert.equal(missing.length, 150);
    const log = `Traceback (most recent call last):\nRuntimeError: Error(s) in loading state_dict for CLIP:\n\tMissing key(s) in state_dict: ${missing.map((n) => `"${n}"`).join(', ')}. \n\tsize mismatch for visual.conv1.weight: copying a param with shape torch.Size([768, 3, 16, 16]) from checkpoint, the shape in current model is torch.Size([768, 3, 32, 32]).`;
    const p = parseLoadLog(log);
    assert.deepEqual(p.sources, ['pytorch']);
    assert.equal(p.modelClass, 'CLIP');
    assert.equal(p.missing.length, 150);
    assert.equal(p.mismatched.length, 1);
    const ex = explainLog(p);
    assert.equal(ex.family, 'openai-clip');
    assert.deepEqual(codes(ex.findings), ['load-failed', 'logit-scale-missing', 'projection-missing', 'shape-mismatch', 'text-tower-missing']);
    assert.match(ex.findings.find((f) => f.code === 'text-tower-missing')!.message, /not in the checkpoint/);
  });

  it('_IncompatibleKeys repr, timm messages, transformers v5 report with merged layer indices', () => {
    const inc = parseLoadLog("_IncompatibleKeys(missing_keys=['transformer.resblocks.3.ln_1.weight'], unexpected_keys=['foo.bar'])");
    assert.deepEqual([inc.missing, inc.unexpected], [['transformer.resblocks.3.ln_1.weight'], ['foo.bar']]);
    const timm = parseLoadLog('Missing keys (head.weight, head.bias) discovered while loading pretrained weights. This is expected if model is being adapted.\nUnexpected keys (fc_norm.weight) found while loading pretrained weights.');
    assert.deepEqual(timm.sources, ['timm']);
    assert.deepEqual(timm.missing, ['head.weight', 'head.bias']);
    assert.deepEqual(timm.unexpected, ['fc_norm.weight']);
    const v5 = parseLoadLog(
      [
        'CLIPModel LOAD REPORT from: ./ckpt',
        'Key | Status | Details',
        'text_model.encoder.layers.{0...11}.mlp.fc1.weight | MISSING |',
        'logit_scale | MISSING |',
        'vision_model.embeddings.patch_embedding.weight | MISMATCH | Reinit due to size mismatch - ckpt: torch.Size([768, 3, 32, 32]) vs model: torch.Size([768, 3, 16, 16])',
      ].join('\n'),
    );
    assert.equal(v5.modelClass, 'CLIPModel');
    assert.equal(v5.missing.length, 13);
    assert.equal(v5.missing[11], 'text_model.encoder.layers.11.mlp.fc1.weight');
    assert.deepEqual(v5.mismatched[0]!.checkpoint, [768, 3, 32, 32]);
    const ex = explainLog(v5);
    assert.equal(ex.towers.find((t) => t.tower === 'text')!.wholeMissing, false);
    assert.ok(codes(ex.findings).includes('tensors-missing'));
  });

  it('a log with no loading messages says so', () => {
    const ex = explainLog(parseLoadLog('epoch 1 loss 0.3\n\u001b[31mred\u001b[0m'));
    assert.deepEqual(codes(ex.findings), ['log-nothing-found']);
  });

  it('--file: the missing tensors exist in the file in another layout (timm file loaded into open_clip)', async () => {
    const timm = fakeTensors(clipTensorSpecs('timm-vit', 'ViT-B-16'));
    const openclipNames = clipTensorSpecs('openai-clip', 'ViT-B-16').map((s) => s.name);
    const log = `Error(s) in loading state_dict for CLIP:\n\tMissing key(s) in state_dict: ${openclipNames.map((n) => `"${n}"`).join(', ')}. \n\tUnexpected key(s) in state_dict: ${timm.map((t) => `"${t.name}"`).join(', ')}. `;
    const ckpt: Checkpoint = { format: 'safetensors', path: '/nonexistent/model.safetensors', files: [], tensors: timm, unreadable: [], metadata: {}, problems: [] };
    const a = await analyzeCheckpoint(ckpt, { valueBudgetBytes: 0, configDir: null });
    assert.ok(a.ok);
    const view = toCanonical(timm);
    const ex = explainLog(parseLoadLog(log), { analysis: a.value, tensorNames: new Set(normalizeNames(timm).map((x) => x.name)), canonicalNames: new Set(view.tensors.keys()) });
    assert.deepEqual(ex.file, { family: 'timm-vit', variant: 'ViT-B-16', missingPresentByName: 0, missingPresentInOtherLayout: 152 });
    assert.ok(codes(ex.findings).includes('log-layout-mismatch'));
    assert.ok(codes(ex.findings).includes('text-tower-missing'));
  });
});
