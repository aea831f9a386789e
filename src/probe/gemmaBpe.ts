/**
 * SigLIP 2's text tokenizer: the Gemma vocabulary as a Hugging Face `tokenizer.json` whose model
 * is `BPE` with `byte_fallback` (SentencePiece BPE converted by transformers: `▁` for spaces, no
 * byte-level alphabet). Written here rather than taken from npm (docs/dependencies.md): the
 * encoder is rank-ordered pair merging over one word plus `<0xXX>` byte fallback (~60 lines), and
 * it shares the normaliser / Metaspace readers of ./sentencepiece.ts.
 *
 * Model input, as the two SigLIP 2 front ends make it:
 *   open_clip (`HFTokenizer(clean='canonicalize')`): big_vision canonicalisation (punctuation
 *     removed, lower case, `_` → space), the tokenizer's own template (`$A <eos>` for SigLIP 2),
 *     truncated so the template fits, right-padded with `<pad>` (id 0) to the context length (64);
 *   transformers (`Siglip2Processor`, `padding='max_length'`): the same tokenizer call on the text
 *     as given — the model card says the model was trained on lower-cased text, so the probe
 *     lower-cases (only) for a transformers checkpoint.
 *
 * Added tokens (Gemma's `<start_of_turn>`, HTML tags, …) are split out before the model as
 * `tokenizers` does: leftmost-longest on the raw text for `normalized: false` ones, then each
 * remaining piece is normalised on its own (so Gemma's `Prepend ▁` applies per piece) and split
 * on the normalised form of the `normalized: true` ones. Not read:
 * their `lstrip` / `rstrip` / `single_word` flags. BPE dropout is ignored (off at inference).
 */
import { canonicalizeText, metaspace, normalizerFn, SPACE } from './sentencepiece.js';
import { TokenizerError } from './tokenizerError.js';

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Largest vocabulary accepted (Gemma: 256 000). */
const MAX_VOCAB = 1 << 20;

export type SiglipCleaning = 'canonicalize' | 'lower';

export interface AddedToken {
  readonly content: string;
  readonly id: number;
  readonly normalized: boolean;
}

/** Leftmost-longest split of `text` on the added tokens' contents: strings to encode, numbers are token ids. */
function splitOnAdded(text: string, tokens: readonly AddedToken[], out: (string | number)[]): void {
  if (tokens.length === 0 || text.length === 0) {
    if (text) out.push(text);
    return;
  }
  let start = 0;
  let i = 0;
  while (i < text.length) {
    let hit: AddedToken | undefined;
    for (const t of tokens) if (text.startsWith(t.content, i)) { hit = t; break; } // longest first
    if (!hit) {
      i++;
      continue;
    }
    if (i > start) out.push(text.slice(start, i));
    out.push(hit.id);
    i += hit.content.length;
    start = i;
  }
  if (start < text.length) out.push(text.slice(start));
}

export class GemmaBpeTokenizer {
  readonly kind = 'sentencepiece' as const;
  private readonly ranks = new Map<string, { rank: number; id: number }>();
  private readonly byteIds: (number | undefined)[] = [];
  private readonly rawAdded: AddedToken[];
  private readonly normAdded: AddedToken[];

  constructor(
    readonly source: string,
    private readonly vocab: ReadonlyMap<string, number>,
    merges: readonly (readonly [string, string])[],
    private readonly opts: {
      readonly unkId: number | undefined;
      readonly byteFallback: boolean;
      readonly fuseUnk: boolean;
      readonly ignoreMerges: boolean;
      readonly prefix: readonly number[];
      readonly suffix: readonly number[];
      readonly padId: number;
      readonly eosId: number;
      readonly vocabSize: number;
      readonly normalize?: (s: string) => string;
      readonly metaspace: { prepend: boolean; split: boolean } | undefined;
      readonly cleaning: SiglipCleaning;
      readonly added?: readonly AddedToken[];
    },
  ) {
    const byLength = (a: AddedToken, b: AddedToken) => b.content.length - a.content.length;
    const added = (opts.added ?? []).filter((a) => a.content.length > 0);
    this.rawAdded = added.filter((a) => !a.normalized).sort(byLength);
    // `normalized: true` tokens are matched by their own normalised form (Gemma's Prepend makes `x` into `▁x`).
    this.normAdded = added
      .filter((a) => a.normalized)
      .map((a) => ({ ...a, content: opts.normalize ? opts.normalize(a.content) : a.content }))
      .sort(byLength);
    merges.forEach(([a, b], rank) => {
      const ia = vocab.get(a);
      const ib = vocab.get(b);
      const id = vocab.get(a + b);
      if (ia === undefined || ib === undefined || id === undefined) throw new TokenizerError('tokenizer-invalid', `${source}: merge ${rank} (${JSON.stringify(a).slice(0, 30)} ${JSON.stringify(b).slice(0, 30)}) names a token outside the vocabulary`);
      const key = `${ia},${ib}`;
      if (!this.ranks.has(key)) this.ranks.set(key, { rank, id });
    });
    for (let b = 0; b < 256; b++) this.byteIds.push(vocab.get(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`));
  }

  get eosId(): number {
    return this.opts.eosId;
  }
  get padId(): number {
    return this.opts.padId;
  }
  get vocabSize(): number {
    return this.opts.vocabSize;
  }

  /** Already-normalised text after the Metaspace pre-tokenizer, split into words. */
  private words(normalized: string): string[] {
    let t = normalized;
    const ms = this.opts.metaspace;
    if (!ms) return t ? [t] : [];
    t = t.replaceAll(' ', SPACE);
    if (ms.prepend && t.length > 0 && !t.startsWith(SPACE)) t = SPACE + t;
    return ms.split ? t.split(new RegExp(`(?=${SPACE})`, 'u')).filter((w) => w) : t ? [t] : [];
  }

  /** Ids of the text, without the template's special tokens. */
  encode(text: string): number[] {
    const out: number[] = [];
    const raw: (string | number)[] = [];
    splitOnAdded(text, this.rawAdded, raw);
    for (const piece of raw) {
      if (typeof piece === 'number') {
        out.push(piece);
        continue;
      }
      const norm: (string | number)[] = [];
      splitOnAdded(this.opts.normalize ? this.opts.normalize(piece) : piece, this.normAdded, norm);
      for (const p of norm) {
        if (typeof p === 'number') out.push(p);
        else for (const w of this.words(p)) this.bpe(w, out);
      }
    }
    return out;
  }

  /** Model input: cleaned text, the template's tokens (EOS kept when truncating), right-padded to the context length. */
  encodeForModel(text: string, contextLength: number): number[] {
    const cleaned = this.opts.cleaning === 'canonicalize' ? canonicalizeText(text, true) : text.toLowerCase();
    const { prefix, suffix } = this.opts;
    const body = this.encode(cleaned).slice(0, Math.max(0, contextLength - prefix.length - suffix.length));
    const ids = [...prefix, ...body, ...suffix].slice(0, contextLength);
    while (ids.length < contextLength) ids.push(this.opts.padId);
    return ids;
  }

  private bpe(word: string, out: number[]): void {
    const whole = this.vocab.get(word);
    if (this.opts.ignoreMerges && whole !== undefined) {
      out.push(whole);
      return;
    }
    const syms: number[] = [];
    let prevUnk = false;
    for (const ch of word) {
      const id = this.vocab.get(ch);
      if (id !== undefined) {
        syms.push(id);
        prevUnk = false;
        continue;
      }
      if (this.opts.byteFallback) {
        const bytes = new TextEncoder().encode(ch);
        const ids = [...bytes].map((b) => this.byteIds[b]);
        if (ids.every((x) => x !== undefined)) {
          syms.push(...(ids as number[]));
          prevUnk = false;
          continue;
        }
      }
      if (this.opts.unkId === undefined) throw new TokenizerError('tokenizer-unknown-token', `${this.source}: ${JSON.stringify(ch)} is not in the vocabulary and the model has no unk token`);
      if (!(this.opts.fuseUnk && prevUnk)) syms.push(this.opts.unkId);
      prevUnk = true;
    }
    // Merge the lowest-ranked adjacent pair (leftmost first) until none is in the merge table.
    for (;;) {
      let best = -1;
      let bestRank = Infinity;
      let bestId = -1;
      for (let i = 0; i + 1 < syms.length; i++) {
        const m = this.ranks.get(`${syms[i]},${syms[i + 1]}`);
        if (m && m.rank < bestRank) {
          bestRank = m.rank;
          best = i;
          bestId = m.id;
        }
      }
      if (best < 0) break;
      syms.splice(best, 2, bestId);
    }
    for (const s of syms) out.push(s);
  }
}

export function isBpeTokenizerJson(t: unknown): boolean {
  return isObj(t) && isObj(t.model) && (t.model.type === 'BPE' || (t.model.type === undefined && Array.isArray(t.model.merges))) && isObj(t.model.vocab);
}

/** A SentencePiece-style BPE `tokenizer.json` (byte fallback, `▁` spaces): Gemma / SigLIP 2. False for CLIP's byte-level BPE. */
export function isSentencePieceBpeJson(t: unknown): boolean {
  if (!isBpeTokenizerJson(t)) return false;
  const m = (t as Json).model as Json;
  if (m.byte_fallback === true) return true;
  const vocab = m.vocab as Json;
  return '<0x00>' in vocab && !('Ġ' in vocab);
}

/** Special-token ids a TemplateProcessing `single` template puts before and after `$A`. */
function template(t: Json, vocab: ReadonlyMap<string, number>): { prefix: number[]; suffix: number[] } {
  const pp = t.post_processor;
  const prefix: number[] = [];
  const suffix: number[] = [];
  if (!isObj(pp) || pp.type !== 'TemplateProcessing' || !Array.isArray(pp.single)) return { prefix, suffix };
  const specials = isObj(pp.special_tokens) ? pp.special_tokens : {};
  let seen = false;
  for (const piece of pp.single) {
    if (isObj(piece) && isObj(piece.Sequence)) {
      seen = true;
      continue;
    }
    const id = isObj(piece) && isObj(piece.SpecialToken) ? piece.SpecialToken.id : undefined;
    if (typeof id !== 'string') continue;
    const entry = specials[id];
    const ids = isObj(entry) && Array.isArray(entry.ids) ? entry.ids.filter((x): x is number => typeof x === 'number') : vocab.has(id) ? [vocab.get(id)!] : [];
    (seen ? suffix : prefix).push(...ids);
  }
  return { prefix, suffix };
}

export function tokenizerFromBpeJson(t: Json, source: string, cleaning: SiglipCleaning): GemmaBpeTokenizer {
  const m = t.model as Json;
  const v = m.vocab as Json;
  const vocab = new Map<string, number>();
  for (const [k, id] of Object.entries(v)) {
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 0) throw new TokenizerError('tokenizer-invalid', `${source}: model.vocab[${JSON.stringify(k).slice(0, 40)}] is not a token id`);
    vocab.set(k, id);
  }
  const added = Array.isArray(t.added_tokens) ? t.added_tokens.filter(isObj) : [];
  const addedTokens: AddedToken[] = [];
  for (const a of added) {
    if (typeof a.content !== 'string' || typeof a.id !== 'number') continue;
    if (!vocab.has(a.content)) vocab.set(a.content, a.id);
    addedTokens.push({ content: a.content, id: a.id, normalized: a.normalized === true });
  }
  if (vocab.size === 0 || vocab.size > MAX_VOCAB) throw new TokenizerError('tokenizer-invalid', `${source}: model.vocab must hold 1 to ${MAX_VOCAB} tokens`);
  const rawMerges = Array.isArray(m.merges) ? m.merges : [];
  const merges = rawMerges.map((x, i): [string, string] => {
    if (Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && typeof x[1] === 'string') return [x[0], x[1]];
    if (typeof x === 'string') {
      const k = x.indexOf(' ');
      if (k > 0) return [x.slice(0, k), x.slice(k + 1)];
    }
    throw new TokenizerError('tokenizer-invalid', `${source}: model.merges[${i}] is not a pair of tokens`);
  });
  const unkId = typeof m.unk_token === 'string' ? vocab.get(m.unk_token) : undefined;
  const tokId = (s: string) => vocab.get(s);
  const { prefix, suffix } = template(t, vocab);
  const eosId = suffix[suffix.length - 1] ?? tokId('<eos>') ?? tokId('</s>');
  if (eosId === undefined) throw new TokenizerError('tokenizer-invalid', `${source} appends no end-of-sequence token and has no <eos>`);
  const padId = (isObj(t.padding) && typeof t.padding.pad_id === 'number' ? t.padding.pad_id : undefined) ?? tokId('<pad>') ?? eosId;
  const pre = t.pre_tokenizer;
  if (isObj(pre) && !['Metaspace', 'Sequence', 'Split'].includes(String(pre.type))) throw new TokenizerError('tokenizer-unsupported', `${source}: pre-tokenizer ${JSON.stringify(String(pre.type)).slice(0, 40)} is not supported by the probe's SentencePiece-BPE reader`);
  const ms = isObj(pre) ? metaspace(pre) : undefined;
  const normalize = normalizerFn(t.normalizer, source);
  // A loop, not Math.max(...values): Gemma's 256k ids overflow the argument limit of a spread call.
  let maxId = 0;
  for (const v of vocab.values()) if (v > maxId) maxId = v;
  return new GemmaBpeTokenizer(source, vocab, merges, {
    unkId,
    byteFallback: m.byte_fallback === true,
    fuseUnk: m.fuse_unk === true,
    ignoreMerges: m.ignore_merges === true,
    prefix,
    suffix,
    padId,
    eosId,
    vocabSize: maxId + 1,
    ...(normalize ? { normalize } : {}),
    metaspace: ms && (ms.prepend || ms.split || (isObj(pre) && pre.type === 'Metaspace')) ? ms : undefined,
    cleaning,
    added: addedTokens,
  });
}
