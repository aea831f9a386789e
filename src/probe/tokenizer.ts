import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { isUnigramTokenizerJson, tokenizerFromSentencePiece, tokenizerFromUnigramJson, type UnigramTokenizer } from './sentencepiece.js';
import { isSentencePieceBpeJson, tokenizerFromBpeJson, type GemmaBpeTokenizer } from './gemmaBpe.js';
import { TokenizerError } from './tokenizerError.js';

/**
 * CLIP's byte-level BPE tokenizer (OpenAI `simple_tokenizer.py` semantics), reading any of the
 * three forms the vocabulary ships in: open_clip's `bpe_simple_vocab_16e6.txt.gz`, the hub's
 * `vocab.json` + `merges.txt`, or a `tokenizer.json`. Hand-written because the algorithm is small
 * and fixed, and no maintained npm package reads the `.txt.gz` form (`@huggingface/tokenizers`,
 * pure JS, reads `tokenizer.json` only). SigLIP's SentencePiece files: ./sentencepiece.ts.
 * Not implemented: ftfy's mojibake repair (`fix_text`); prompts are plain ASCII in practice.
 */
export const SOT = '<|startoftext|>';
export const EOT = '<|endoftext|>';

export interface ClipTokenizer {
  readonly kind: 'clip-bpe';
  readonly source: string;
  readonly sotId: number;
  readonly eotId: number;
  /** Token ids of the text without SOT/EOT. */
  encode(text: string): number[];
  /** [SOT, …, EOT] padded with `pad` to `contextLength`; over-long text is truncated with EOT kept last (open_clip). */
  encodeForModel(text: string, contextLength: number, pad?: number): number[];
}

export type TokenizerResult = { ok: true; tokenizer: ClipTokenizer } | { ok: false; code: string; message: string };

/** GPT-2's byte → printable-character table, as [byte → char] plus the characters in vocabulary order. */
function bytesToUnicode(): { byChar: string[]; vocabOrder: string[] } {
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = [...bs];
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n++);
    }
  }
  const byChar = new Array<string>(256);
  bs.forEach((b, i) => (byChar[b] = String.fromCodePoint(cs[i]!)));
  // The vocabulary lists them in the table's insertion order (printables first), not byte order.
  return { byChar, vocabOrder: cs.map((c) => String.fromCodePoint(c)) };
}

const { byChar: BYTE_ENCODER, vocabOrder: BYTE_VOCAB } = bytesToUnicode();
const PATTERN = /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

function clean(text: string): string {
  // html.unescape twice (the common entities), whitespace collapse, lowercase.
  let t = text;
  for (let i = 0; i < 2; i++) t = t.replace(/&(amp|lt|gt|quot|#39|apos|nbsp);/g, (_, e: string) => ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'", nbsp: ' ' })[e] ?? _);
  return t.replace(/\s+/g, ' ').trim().toLowerCase();
}

class BpeTokenizer implements ClipTokenizer {
  readonly kind = 'clip-bpe' as const;
  private readonly cache = new Map<string, string[]>();
  readonly sotId: number;
  readonly eotId: number;

  constructor(
    readonly source: string,
    private readonly encoder: ReadonlyMap<string, number>,
    private readonly ranks: ReadonlyMap<string, number>,
  ) {
    const sot = encoder.get(SOT);
    const eot = encoder.get(EOT);
    if (sot === undefined || eot === undefined) throw new TokenizerError('tokenizer-invalid', `${source} has no ${SOT} / ${EOT} tokens`);
    this.sotId = sot;
    this.eotId = eot;
  }

  private bpe(token: string): string[] {
    const hit = this.cache.get(token);
    if (hit) return hit;
    const chars = [...token];
    let word = [...chars.slice(0, -1), `${chars[chars.length - 1]}</w>`];
    while (word.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < word.length - 1; i++) {
        const r = this.ranks.get(`${word[i]} ${word[i + 1]}`);
        if (r !== undefined && r < bestRank) {
          bestRank = r;
          best = i;
        }
      }
      if (best < 0) break;
      const a = word[best]!;
      const b = word[best + 1]!;
      // Merge every occurrence of the pair (a, b), left to right.
      const next: string[] = [];
      for (let i = 0; i < word.length; i++) {
        if (i < word.length - 1 && word[i] === a && word[i + 1] === b) {
          next.push(a + b);
          i++;
        } else next.push(word[i]!);
      }
      word = next;
    }
    this.cache.set(token, word);
    return word;
  }

  encode(text: string): number[] {
    const ids: number[] = [];
    for (const m of clean(text).matchAll(PATTERN)) {
      const piece = m[0];
      const special = this.encoder.get(piece);
      if (piece === SOT || piece === EOT) {
        ids.push(special!);
        continue;
      }
      const mapped = [...Buffer.from(piece, 'utf8')].map((b) => BYTE_ENCODER[b]!).join('');
      for (const sub of this.bpe(mapped)) {
        const id = this.encoder.get(sub);
        if (id === undefined) throw new TokenizerError('tokenizer-unknown-token', `token ${JSON.stringify(sub)} is not in the vocabulary of ${this.source}`);
        ids.push(id);
      }
    }
    return ids;
  }

  encodeForModel(text: string, contextLength: number, pad = 0): number[] {
    let ids = [this.sotId, ...this.encode(text), this.eotId];
    if (ids.length > contextLength) {
      ids = ids.slice(0, contextLength);
      ids[contextLength - 1] = this.eotId;
    }
    while (ids.length < contextLength) ids.push(pad);
    return ids;
  }
}

export { TokenizerError };

/** open_clip / OpenAI `bpe_simple_vocab_16e6.txt.gz` (or an uncompressed copy). */
export function tokenizerFromBpeText(text: string, source: string): ClipTokenizer {
  const lines = text.split('\n');
  // Line 0 is the "#version" header; OpenAI uses merges 1 … 49152-256-2.
  const merges = lines.slice(1, 49152 - 256 - 2 + 1).filter((l) => l.includes(' '));
  const vocab: string[] = [...BYTE_VOCAB];
  vocab.push(...BYTE_VOCAB.map((v) => `${v}</w>`));
  for (const m of merges) vocab.push(m.replace(' ', ''));
  vocab.push(SOT, EOT);
  const encoder = new Map(vocab.map((v, i) => [v, i]));
  const ranks = new Map(merges.map((m, i) => [m, i]));
  return new BpeTokenizer(source, encoder, ranks);
}

/** Hugging Face `vocab.json` + `merges.txt`. */
export function tokenizerFromVocabMerges(vocabJson: string, mergesTxt: string, source: string): ClipTokenizer {
  const vocab = JSON.parse(vocabJson) as Record<string, number>;
  const merges = mergesTxt.split('\n').filter((l) => l.length > 0 && !l.startsWith('#version'));
  return new BpeTokenizer(source, new Map(Object.entries(vocab)), new Map(merges.map((m, i) => [m, i])));
}

/** Hugging Face `tokenizer.json` (model.type BPE; merges as "a b" strings or [a, b] pairs). */
export function tokenizerFromTokenizerJson(json: string, source: string): ClipTokenizer {
  const t = JSON.parse(json) as { model?: { type?: string; vocab?: Record<string, number>; merges?: (string | [string, string])[] } };
  if (!t.model?.vocab || !t.model.merges) throw new TokenizerError('tokenizer-invalid', `${source} has no BPE model.vocab / model.merges`);
  const merges = t.model.merges.map((m) => (typeof m === 'string' ? m : m.join(' ')));
  return new BpeTokenizer(source, new Map(Object.entries(t.model.vocab)), new Map(merges.map((m, i) => [m, i])));
}

/** Loads a tokenizer from a path: a `.txt.gz`/`.txt` BPE file, `tokenizer.json`, `vocab.json` (with `merges.txt` beside it), or a directory holding one of them. */
export async function loadTokenizer(path: string): Promise<TokenizerResult> {
  try {
    if (!existsSync(path)) return { ok: false, code: 'tokenizer-not-found', message: `no tokenizer file at ${path}` };
    const name = basename(path);
    if (name.endsWith('.gz')) return { ok: true, tokenizer: tokenizerFromBpeText(gunzipSync(await readFile(path)).toString('utf8'), path) };
    if (name.endsWith('.txt') && !name.startsWith('merges')) return { ok: true, tokenizer: tokenizerFromBpeText(await readFile(path, 'utf8'), path) };
    if (name === 'tokenizer.json' || (name.endsWith('.json') && name !== 'vocab.json')) return { ok: true, tokenizer: tokenizerFromTokenizerJson(await readFile(path, 'utf8'), path) };
    if (name === 'vocab.json' || name === 'merges.txt') {
      const dir = dirname(path);
      return { ok: true, tokenizer: tokenizerFromVocabMerges(await readFile(join(dir, 'vocab.json'), 'utf8'), await readFile(join(dir, 'merges.txt'), 'utf8'), dir) };
    }
    const found = findTokenizerIn(path);
    if (found) return loadTokenizer(found);
    return { ok: false, code: 'tokenizer-unrecognised', message: `${path} is not a tokenizer.json, vocab.json/merges.txt or bpe_simple_vocab_16e6.txt.gz` };
  } catch (e) {
    const code = e instanceof TokenizerError ? e.code : 'tokenizer-invalid';
    return { ok: false, code, message: `cannot read tokenizer ${path}: ${(e as Error).message}` };
  }
}

/** CLIP's byte-level BPE, SigLIP's SentencePiece Unigram or SigLIP 2's Gemma BPE (./gemmaBpe.ts). */
export type ProbeTokenizer = ClipTokenizer | UnigramTokenizer | GemmaBpeTokenizer;
export type AnyTokenizerResult = { ok: true; tokenizer: ProbeTokenizer } | { ok: false; code: string; message: string };

/**
 * `loadTokenizer` plus SentencePiece: `spiece.model` / `tokenizer.model`, or a `tokenizer.json`
 * whose model is Unigram. `underscoreToSpace`: open_clip's SigLIP cleaning (transformers drops `_`).
 */
export async function loadProbeTokenizer(path: string, opts: { underscoreToSpace?: boolean } = {}): Promise<AnyTokenizerResult> {
  try {
    if (!existsSync(path)) return { ok: false, code: 'tokenizer-not-found', message: `no tokenizer file at ${path}` };
    const name = basename(path);
    if (name.endsWith('.model')) return { ok: true, tokenizer: tokenizerFromSentencePiece(await readFile(path), path, opts.underscoreToSpace) };
    if (name.endsWith('.json') && name !== 'vocab.json') {
      const t = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
      if (isUnigramTokenizerJson(t)) return { ok: true, tokenizer: tokenizerFromUnigramJson(t, path, opts.underscoreToSpace) };
      // SigLIP 2's Gemma BPE (byte fallback, `▁` spaces): open_clip canonicalises, transformers' path lower-cases.
      if (isSentencePieceBpeJson(t)) return { ok: true, tokenizer: tokenizerFromBpeJson(t, path, opts.underscoreToSpace ? 'canonicalize' : 'lower') };
    }
    if (statSync(path).isDirectory()) {
      const found = findTokenizerIn(path);
      if (found) return loadProbeTokenizer(found, opts);
    }
    return await loadTokenizer(path);
  } catch (e) {
    const code = e instanceof TokenizerError ? e.code : 'tokenizer-invalid';
    return { ok: false, code, message: `cannot read tokenizer ${path}: ${(e as Error).message}` };
  }
}

/** The tokenizer file a checkpoint directory carries, in the order the hub and open_clip ship them. */
export function findTokenizerIn(dir: string): string | undefined {
  for (const name of ['tokenizer.json', 'spiece.model', 'tokenizer.model', 'vocab.json', 'bpe_simple_vocab_16e6.txt.gz']) {
    const p = join(dir, name);
    if (existsSync(p) && (name !== 'vocab.json' || existsSync(join(dir, 'merges.txt')))) return p;
  }
  return undefined;
}
