/**
 * A file the transformers check handled (config.json beside it, every expected tensor present)
 * is not then treated as an unrecognised layout: no "no config.json is beside it" note
 * (`arch-config-missing`), no `family-unknown`, and the CLIP layouts are not searched for it.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import { openCheckpoint } from '../../src/formats/open.js';
import { groundTruth, onDisk, writeModel } from '../helpers/archFixtures.js';
import { tempDir } from '../helpers/tmp.js';

const root = tempDir('ckl-handled-');
let n = 0;

describe('complete transformers models with config.json', () => {
  for (const [cls, variant] of [
    ['LlamaForCausalLM', null],
    ['LlamaForCausalLM', 'tied'],
    ['GemmaForCausalLM', null],
    ['BertForSequenceClassification', null],
  ] as const) {
    test(`${cls}${variant ? ` (${variant})` : ''}: checked, and no finding says it was not`, async () => {
      const m = groundTruth(cls, variant);
      const c = await openCheckpoint(await writeModel(join(root, `m${n++}`), m.config, onDisk(m)));
      assert.ok(c.ok);
      const a = await analyzeCheckpoint(c.value, { valueBudgetBytes: 0 });
      assert.ok(a.ok);
      assert.equal(a.value.transformers?.missing.length, 0, 'the transformers check ran and found everything');
      const codes = a.value.findings.map((f) => f.code);
      assert.ok(!codes.includes('arch-config-missing') && !codes.includes('family-unknown'), codes.join(', '));
      assert.deepEqual(a.value.findings.filter((f) => f.severity !== 'info').map((f) => f.code), []);
    });
  }
});
