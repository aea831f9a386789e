/**
 * Token ids (CLIP BPE, without start/end tokens) of the built-in probe prompts. Generated with
 * src/probe/tokenizer.ts from bpe_simple_vocab_16e6.txt.gz; test/unit/probe-tokenizer.test.ts
 * re-tokenises them and must agree. Ids are numbers, not vocabulary text.
 */
export const BUILTIN_PROMPT_IDS: Readonly<Record<string, readonly number[]>> = {
  "a plain red color": [320, 10709, 736, 3140],
  "a plain green color": [320, 10709, 1901, 3140],
  "a plain blue color": [320, 10709, 1746, 3140],
  "a plain yellow color": [320, 10709, 4481, 3140],
  "a plain orange color": [320, 10709, 4287, 3140],
  "a plain purple color": [320, 10709, 5496, 3140],
  "a plain black color": [320, 10709, 1449, 3140],
  "a plain white color": [320, 10709, 1579, 3140],
  "a black circle on a white background": [320, 1449, 7117, 525, 320, 1579, 5994],
  "a black square on a white background": [320, 1449, 3999, 525, 320, 1579, 5994],
  "a black triangle on a white background": [320, 1449, 14615, 525, 320, 1579, 5994],
  "a black star on a white background": [320, 1449, 1565, 525, 320, 1579, 5994],
  "a black and white checkerboard pattern": [320, 1449, 537, 1579, 1113, 2352, 1972, 7447],
  "black and white horizontal stripes": [1449, 537, 1579, 25775, 14239],
};
