import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { BUILTIN_CLASSES, builtinPromptIds } from '../../src/probe/probeSet.js';
import { findTokenizerIn, loadTokenizer, tokenizerFromTokenizerJson, tokenizerFromVocabMerges } from '../../src/probe/tokenizer.js';
import { tempDir } from '../helpers/tmp.js';

// The package is CommonJS (no "type": "module"), so tests get __dirname.
const BPE = join(__dirname, '../../../shared/data/clip-bpe/bpe_simple_vocab_16e6.txt.gz');
const haveBpe = existsSync(BPE);

test('CLIP BPE from bpe_simple_vocab_16e6.txt.gz gives OpenAI ids', { skip: !haveBpe && 'shared CLIP BPE vocabulary not present' }, async () => {
  const r = await loadTokenizer(BPE);
  assert.ok(r.ok);
  // Ids verified with OpenAI's tokenizer (schemas §7).
  assert.deepEqual(r.tokenizer.encodeForModel('A photo of a CAT.', 10), [49406, 320, 1125, 539, 320, 2368, 269, 49407, 0, 0]);
  assert.equal(r.tokenizer.sotId, 49406);
  assert.equal(r.tokenizer.eotId, 49407);
  // Over-long text is truncated with EOT kept last (open_clip).
  const long = r.tokenizer.encodeForModel('a '.repeat(100), 77);
  assert.equal(long.length, 77);
  assert.equal(long[76], 49407);
});

test('the built-in prompts shipped as ids re-tokenise to the same ids', { skip: !haveBpe && 'shared CLIP BPE vocabulary not present' }, async () => {
  const r = await loadTokenizer(BPE);
  assert.ok(r.ok);
  for (const c of BUILTIN_CLASSES) assert.deepEqual(builtinPromptIds(c.prompt), r.tokenizer.encode(c.prompt), c.prompt);
});

test('every built-in prompt has shipped ids', () => {
  for (const c of BUILTIN_CLASSES) assert.ok(builtinPromptIds(c.prompt)?.length, c.prompt);
});

// A toy vocabulary in the Hugging Face forms: merges "l o", "lo w</w>".
const vocab = { 'l': 0, 'o': 1, 'w': 2, 'w</w>': 3, 'lo': 4, 'low</w>': 5, 'o</w>': 6, 'l</w>': 7, '<|startoftext|>': 8, '<|endoftext|>': 9 };
const merges = '#version: 0.2\nl o\nlo w</w>\n';

test('vocab.json + merges.txt and tokenizer.json read the same BPE', () => {
  const a = tokenizerFromVocabMerges(JSON.stringify(vocab), merges, 'toy');
  const b = tokenizerFromTokenizerJson(JSON.stringify({ model: { type: 'BPE', vocab, merges: [['l', 'o'], ['lo', 'w</w>']] } }), 'toy.json');
  // 'lo' ends a word, so its pieces are l + o</w> (the merge 'l o' is for a non-final o).
  assert.deepEqual(a.encode('low LOW lo'), [5, 5, 0, 6]);
  assert.deepEqual(b.encode('low LOW lo'), a.encode('low LOW lo'));
  assert.deepEqual(a.encodeForModel('low', 4, 9), [8, 5, 9, 9]);
});

test('tokenizer files are found beside a checkpoint; bad files are errors with codes', async () => {
  const dir = tempDir('ckl-tok-');
  assert.equal(findTokenizerIn(dir), undefined);
  writeFileSync(join(dir, 'vocab.json'), JSON.stringify(vocab));
  assert.equal(findTokenizerIn(dir), undefined, 'vocab.json needs merges.txt');
  writeFileSync(join(dir, 'merges.txt'), merges);
  assert.equal(findTokenizerIn(dir), join(dir, 'vocab.json'));
  const r = await loadTokenizer(dir);
  assert.ok(r.ok);
  assert.deepEqual(r.tokenizer.encode('low'), [5]);
  writeFileSync(join(dir, 'tokenizer.json'), '{"model": {}}');
  const bad = await loadTokenizer(join(dir, 'tokenizer.json'));
  assert.ok(!bad.ok);
  assert.equal(bad.code, 'tokenizer-invalid');
  const missing = await loadTokenizer(join(dir, 'nope.json'));
  assert.ok(!missing.ok);
  assert.equal(missing.code, 'tokenizer-not-found');
  // A word the vocabulary cannot spell is an error, not a silent skip.
  const t = tokenizerFromVocabMerges(JSON.stringify(vocab), merges, 'toy');
  assert.throws(() => t.encode('xyz'), /not in the vocabulary/);
});
