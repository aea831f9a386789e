/**
 * Problems entries (issue 13): each finding's diagnostic message is a one-line summary a person can
 * scan; the rest (full message, consequence, evidence, tensors) goes under it as related
 * information; invisible characters are escaped in both.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diagnosticText, SUMMARY_MAX, summaryLine } from '../../src/extension/diagnosticText.js';

const long =
  'Zero-shot will be at chance: the text encoder is not in the file, so loading into open_clip CLIP (ViT-B-32) would randomly initialise its 148 tensors and the text projection; 150 of its 302 tensors would be random in all.';

test('the summary is one line: the first sentence, cut at a clause (or a word) with "…" when long', () => {
  assert.equal(summaryLine('The shard is missing. Download it.'), 'The shard is missing.');
  assert.equal(summaryLine('Short and whole'), 'Short and whole');
  const s = summaryLine(long);
  assert.ok(s.length <= SUMMARY_MAX + 1, `${s.length}: ${s}`);
  assert.equal(s, 'Zero-shot will be at chance: the text encoder is not in the file, so loading into open_clip CLIP (ViT-B-32) would randomly initialise its 148 tensors…');
  assert.ok(!summaryLine('line one\nline two. Next.').includes('\n'));
  // A first sentence without any space: cut, never longer.
  assert.equal(summaryLine('x'.repeat(400)).length, SUMMARY_MAX);
});

test('the detail goes under the summary: full message when cut, consequence, evidence, tensors; escapes visible', () => {
  const t = diagnosticText({
    code: 'text-tower-missing',
    severity: 'error',
    message: long,
    consequence: 'Zero-shot accuracy would be at chance.',
    evidence: ['text_projection absent', 'logit_scale absent'],
    tensors: ['a\u202eb', 'c', 'd', 'e', 'f', 'g'],
    tensorCount: 149,
  });
  assert.ok(!t.summary.includes('\n'));
  assert.deepEqual(t.details.slice(0, 4), [long, 'If loaded anyway: Zero-shot accuracy would be at chance.', 'text_projection absent', 'logit_scale absent']);
  assert.equal(t.details[4], '149 tensors: a\\u202Eb, c, d, e, f, … (the code link selects the first in the editor)');
  // A short finding says it all in its summary.
  assert.deepEqual(diagnosticText({ code: 'x', severity: 'info', message: 'All good here.' }).details, []);
  assert.deepEqual(diagnosticText({ code: 'x', severity: 'info', message: 'One.', tensors: ['w'], tensorCount: 1 }).details, ['Tensor: w (the code link selects it in the editor)']);
});
