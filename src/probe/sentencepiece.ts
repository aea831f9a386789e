/**
 * SentencePiece Unigram tokenization for SigLIP's text tower, from either form it ships in:
 * `spiece.model` (the SentencePiece ModelProto: transformers' SiglipTokenizer) or a transformers
 * `tokenizer.json` whose model is `Unigram` (fast tokenizers, open_clip's HF tokenizer).
 *
 * Written here (docs/dependencies.md): the encoder is a Viterbi pass over a piece lattice (~60
 * lines) and the model file is a flat protobuf of (piece, score, type) records; the maintained npm
 * options either ship a native binary per platform (`@huggingface/tokenizers`) or a multi-MB
 * WASM/JS bundle for the whole tokenizers zoo (`@huggingface/transformers`).
 *
 * Not implemented: the `precompiled_charsmap` normaliser is approximated by Unicode NFKC (its
 * source rule set, `nmt_nfkc`, is NFKC plus control-character cleanup); BPE-type SentencePiece
 * `.model` files (Gemma / SigLIP 2) are refused with `tokenizer-unsupported` — their
 * `tokenizer.json` is read by ./gemmaBpe.ts.
 */
import { TokenizerError } from './tokenizerError.js';

export const SPACE = '\u2581';

/** What `encodeForModel` needs besides the pieces: SigLIP's cleaning, EOS and padding. */
export interface UnigramSpec {
  readonly pieces: readonly { readonly piece: string; readonly score: number; readonly kind: 'normal' | 'unknown' | 'control' | 'user' | 'unused' | 'byte' }[];
  readonly unkId: number;
  readonly eosId: number;
  readonly padId: number;
  /** Prepend `▁` to the text (SentencePiece `add_dummy_prefix`, Metaspace `prepend_scheme`). */
  readonly dummyPrefix: boolean;
  /** Collapse runs of whitespace and strip the ends (`remove_extra_whitespaces`). */
  readonly removeExtraWhitespace: boolean;
  /** tokenizer.json normalisers applied after NFKC (Replace / Strip / Lowercase). */
  readonly normalize?: (s: string) => string;
  /** Metaspace `split`: run the lattice per `▁`-started word. */
  readonly splitWords: boolean;
}

/** SigLIP's text cleaning (big_vision `canonicalize_text`, as transformers' SiglipTokenizer and open_clip do it): no ASCII punctuation, lower case, single spaces. */
export function canonicalizeText(text: string, underscoreToSpace: boolean): string {
  let t = underscoreToSpace ? text.replaceAll('_', ' ') : text;
  t = t.replace(/[!-/:-@[-`{-~]/g, '');
  return t.toLowerCase().replace(/\s+/g, ' ').trim();
}

export class UnigramTokenizer {
  readonly kind = 'sentencepiece' as const;
  private readonly byPiece = new Map<string, number>();
  private readonly maxLen: number;
  private readonly unkScore: number;

  constructor(
    readonly source: string,
    private readonly spec: UnigramSpec,
    /** open_clip replaces `_` with a space before removing punctuation; transformers removes it. */
    private readonly underscoreToSpace = false,
  ) {
    let min = Infinity;
    let maxLen = 1;
    spec.pieces.forEach((p, i) => {
      if (p.kind === 'normal' || p.kind === 'user') {
        if (!this.byPiece.has(p.piece)) this.byPiece.set(p.piece, i);
        maxLen = Math.max(maxLen, p.piece.length);
      }
      if (p.kind === 'normal') min = Math.min(min, p.score);
    });
    if (this.byPiece.size === 0) throw new TokenizerError('tokenizer-invalid', `${source} has no vocabulary pieces`);
    this.maxLen = maxLen;
    // SentencePiece: an unknown character costs the lowest piece score minus kUnkPenalty (10).
    this.unkScore = (Number.isFinite(min) ? min : 0) - 10;
  }

  get eosId(): number {
    return this.spec.eosId;
  }

  get padId(): number {
    return this.spec.padId;
  }

  get vocabSize(): number {
    return this.spec.pieces.length;
  }

  /** The text as SentencePiece sees it: NFKC, whitespace handling, `▁` for spaces. */
  normalized(text: string): string {
    let t = text.normalize('NFKC');
    if (this.spec.removeExtraWhitespace) t = t.replace(/ +/g, ' ').trim();
    if (this.spec.normalize) t = this.spec.normalize(t);
    t = t.replaceAll(' ', SPACE);
    if (this.spec.dummyPrefix && t.length > 0 && !t.startsWith(SPACE)) t = SPACE + t;
    return t;
  }

  /** Ids of the cleaned text, without EOS. */
  encode(text: string): number[] {
    const norm = this.normalized(text);
    const ids: number[] = [];
    if (!this.spec.splitWords) this.viterbi(norm, ids);
    else for (const w of norm.split(new RegExp(`(?=${SPACE})`, 'u'))) if (w) this.viterbi(w, ids);
    return ids;
  }

  /** SigLIP input ids: canonicalised text, `</s>` last (kept when truncating), padded with the pad id. */
  encodeForModel(text: string, contextLength: number): number[] {
    const ids = this.encode(canonicalizeText(text, this.underscoreToSpace)).slice(0, contextLength - 1);
    ids.push(this.spec.eosId);
    while (ids.length < contextLength) ids.push(this.spec.padId);
    return ids;
  }

  /** Best segmentation by total piece score; runs of unknown characters become one `<unk>` (SentencePiece and `fuse_unk`). */
  private viterbi(s: string, out: number[]): void {
    const chars = [...s];
    const n = chars.length;
    const best = new Float64Array(n + 1).fill(-Infinity);
    const from = new Int32Array(n + 1).fill(-1);
    const piece = new Int32Array(n + 1).fill(-1);
    best[0] = 0;
    for (let i = 0; i < n; i++) {
      if (best[i] === -Infinity) continue;
      let sub = '';
      let matchedSingle = false;
      for (let j = i; j < n && j - i < this.maxLen; j++) {
        sub += chars[j]!;
        const id = this.byPiece.get(sub);
        if (id === undefined) continue;
        if (j === i) matchedSingle = true;
        const p = this.spec.pieces[id]!;
        // User-defined pieces always win where they match (SentencePiece gives them a top score).
        const score = best[i]! + (p.kind === 'user' ? 0 : p.score);
        if (score > best[j + 1]!) {
          best[j + 1] = score;
          from[j + 1] = i;
          piece[j + 1] = id;
        }
      }
      if (!matchedSingle) {
        const score = best[i]! + this.unkScore;
        if (score > best[i + 1]!) {
          best[i + 1] = score;
          from[i + 1] = i;
          piece[i + 1] = this.spec.unkId;
        }
      }
    }
    const rev: number[] = [];
    for (let k = n; k > 0; k = from[k]!) rev.push(piece[k]!);
    let prevUnk = false;
    for (let k = rev.length - 1; k >= 0; k--) {
      const id = rev[k]!;
      const unk = id === this.spec.unkId;
      if (!(unk && prevUnk)) out.push(id);
      prevUnk = unk;
    }
  }
}

// ---------------------------------------------------------------------------------------------
// spiece.model (protobuf)

const PIECE_KIND = ['normal', 'normal', 'unknown', 'control', 'user', 'unused', 'byte'] as const;

/** Minimal protobuf reader: varints, length-delimited fields, fixed32/64 (skipped or read as float). */
class Reader {
  pos = 0;
  constructor(
    readonly b: Uint8Array,
    readonly end = b.length,
  ) {}
  varint(): number {
    let x = 0;
    let mul = 1;
    for (let k = 0; k < 10; k++) {
      if (this.pos >= this.end) throw new TokenizerError('tokenizer-invalid', 'truncated protobuf varint');
      const byte = this.b[this.pos++]!;
      x += (byte & 0x7f) * mul;
      if (byte < 0x80) return x;
      mul *= 128;
    }
    throw new TokenizerError('tokenizer-invalid', 'protobuf varint too long');
  }
  /** Each field as (number, wire type, sub-reader or value). */
  *fields(): Generator<{ field: number; wire: number; value: number; sub?: Reader }> {
    while (this.pos < this.end) {
      const key = this.varint();
      const field = Math.floor(key / 8);
      const wire = key & 7;
      if (wire === 0) yield { field, wire, value: this.varint() };
      else if (wire === 2) {
        const len = this.varint();
        if (this.pos + len > this.end) throw new TokenizerError('tokenizer-invalid', 'protobuf field runs past the end of the file');
        const sub = new Reader(this.b, this.pos + len);
        sub.pos = this.pos;
        this.pos += len;
        yield { field, wire, value: len, sub };
      } else if (wire === 5) {
        if (this.pos + 4 > this.end) throw new TokenizerError('tokenizer-invalid', 'truncated protobuf fixed32');
        const v = new DataView(this.b.buffer, this.b.byteOffset + this.pos, 4).getFloat32(0, true);
        this.pos += 4;
        yield { field, wire, value: v };
      } else if (wire === 1) {
        this.pos += 8;
        if (this.pos > this.end) throw new TokenizerError('tokenizer-invalid', 'truncated protobuf fixed64');
      } else throw new TokenizerError('tokenizer-invalid', `unsupported protobuf wire type ${wire}`);
    }
  }
  text(): string {
    return new TextDecoder('utf-8', { fatal: false }).decode(this.b.subarray(this.pos, this.end));
  }
}

/** Largest vocabulary accepted (SigLIP i18n: 250k; Gemma 256k). */
const MAX_PIECES = 1 << 20;

/** A SentencePiece `ModelProto` (spiece.model / tokenizer.model): pieces, special ids, normaliser flags. */
export function tokenizerFromSentencePiece(bytes: Uint8Array, source: string, underscoreToSpace = false): UnigramTokenizer {
  const pieces: UnigramSpec['pieces'][number][] = [];
  let unkId = 0;
  let eosId = 2;
  let padId = -1;
  let modelType = 1;
  let dummyPrefix = true;
  let removeExtra = true;
  for (const f of new Reader(bytes).fields()) {
    if (f.field === 1 && f.sub) {
      if (pieces.length >= MAX_PIECES) throw new TokenizerError('tokenizer-invalid', `${source} has more than ${MAX_PIECES} pieces`);
      let piece = '';
      let score = 0;
      let type = 1;
      for (const g of f.sub.fields()) {
        if (g.field === 1 && g.sub) piece = g.sub.text();
        else if (g.field === 2 && g.wire === 5) score = g.value;
        else if (g.field === 3 && g.wire === 0) type = g.value;
      }
      pieces.push({ piece, score, kind: PIECE_KIND[type] ?? 'normal' });
    } else if (f.field === 2 && f.sub) {
      // TrainerSpec: model_type 3, unk_id 40, eos_id 42, pad_id 43.
      for (const g of f.sub.fields()) {
        if (g.wire !== 0) continue;
        const v = g.value > 2 ** 31 ? g.value - 2 ** 64 : g.value;
        if (g.field === 3) modelType = v;
        else if (g.field === 40) unkId = v;
        else if (g.field === 42) eosId = v;
        else if (g.field === 43) padId = v;
      }
    } else if (f.field === 3 && f.sub) {
      // NormalizerSpec: add_dummy_prefix 3, remove_extra_whitespaces 4.
      for (const g of f.sub.fields()) {
        if (g.wire !== 0) continue;
        if (g.field === 3) dummyPrefix = g.value !== 0;
        else if (g.field === 4) removeExtra = g.value !== 0;
      }
    }
  }
  if (modelType !== 1) throw new TokenizerError('tokenizer-unsupported', `${source} is a SentencePiece ${modelType === 2 ? 'BPE' : `type-${modelType}`} model; the probe reads Unigram models (SigLIP) from .model files; for SigLIP 2's Gemma tokenizer pass its tokenizer.json`);
  if (pieces.length === 0) throw new TokenizerError('tokenizer-invalid', `${source} holds no SentencePiece pieces (not a spiece.model?)`);
  for (const [what, id] of [['unk', unkId], ['eos', eosId]] as const) {
    if (id < 0 || id >= pieces.length) throw new TokenizerError('tokenizer-invalid', `${source}: ${what} id ${id} is outside its ${pieces.length} pieces`);
  }
  // transformers' SiglipTokenizer pads with </s> (pad_token="</s>"), whatever the model's pad id.
  return new UnigramTokenizer(source, { pieces, unkId, eosId, padId: eosId, dummyPrefix, removeExtraWhitespace: removeExtra, splitWords: false }, underscoreToSpace);
}

// ---------------------------------------------------------------------------------------------
// tokenizer.json (model.type Unigram)

type Json = Record<string, unknown>;
const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The tokenizer.json normalisers we apply (besides Precompiled / NFKC, which `normalized` applies first). */
export function normalizerFn(n: unknown, source: string): ((s: string) => string) | undefined {
  if (!isObj(n)) return undefined;
  const steps: ((s: string) => string)[] = [];
  const add = (x: Json) => {
    switch (x.type) {
      case 'Sequence':
        for (const y of Array.isArray(x.normalizers) ? x.normalizers : []) if (isObj(y)) add(y);
        return;
      case 'Precompiled':
      case 'NFKC':
        return;
      case 'Lowercase':
        steps.push((s) => s.toLowerCase());
        return;
      case 'Strip':
        steps.push((s) => (x.strip_left === false ? s : s.replace(/^\s+/u, '')));
        steps.push((s) => (x.strip_right === false ? s : s.replace(/\s+$/u, '')));
        return;
      case 'Replace': {
        const p = isObj(x.pattern) ? x.pattern : {};
        const content = typeof x.content === 'string' ? x.content : '';
        if (typeof p.String === 'string') {
          const from = p.String;
          steps.push((s) => s.replaceAll(from, content));
        } else if (typeof p.Regex === 'string') {
          let re: RegExp;
          try {
            re = new RegExp(p.Regex, 'gu');
          } catch {
            throw new TokenizerError('tokenizer-unsupported', `${source}: Replace pattern ${JSON.stringify(p.Regex).slice(0, 80)} is not a regular expression this reader understands`);
          }
          steps.push((s) => s.replace(re, content));
        }
        return;
      }
      case 'Prepend': {
        const c = typeof x.prepend === 'string' ? x.prepend : '';
        steps.push((s) => (s ? c + s : s));
        return;
      }
      default:
        throw new TokenizerError('tokenizer-unsupported', `${source}: normalizer ${JSON.stringify(String(x.type)).slice(0, 40)} is not supported by the probe's Unigram reader`);
    }
  };
  add(n);
  return steps.length ? (s) => steps.reduce((t, f) => f(t), s) : undefined;
}

/** Metaspace settings (the pre-tokenizer of every SentencePiece-converted tokenizer.json). */
export function metaspace(p: unknown): { prepend: boolean; split: boolean } {
  const list = isObj(p) && p.type === 'Sequence' && Array.isArray(p.pretokenizers) ? p.pretokenizers : [p];
  for (const x of list) {
    if (!isObj(x) || x.type !== 'Metaspace') continue;
    const scheme = typeof x.prepend_scheme === 'string' ? x.prepend_scheme : x.add_prefix_space === false ? 'never' : 'always';
    // `first` prepends to the first section only; a prompt is one section.
    return { prepend: scheme !== 'never', split: x.split !== false };
  }
  return { prepend: false, split: false };
}

/** Ids the post-processor appends after the sequence (TemplateProcessing `single`, e.g. `$A </s>`). */
function eosFromTemplate(t: Json, vocab: ReadonlyMap<string, number>): number | undefined {
  const pp = t.post_processor;
  if (!isObj(pp) || pp.type !== 'TemplateProcessing' || !Array.isArray(pp.single)) return undefined;
  const last = pp.single[pp.single.length - 1];
  if (!isObj(last) || !isObj(last.SpecialToken)) return undefined;
  const id = last.SpecialToken.id;
  const specials = isObj(pp.special_tokens) ? pp.special_tokens : {};
  const entry = typeof id === 'string' ? specials[id] : undefined;
  if (isObj(entry) && Array.isArray(entry.ids) && typeof entry.ids[0] === 'number') return entry.ids[0];
  return typeof id === 'string' ? vocab.get(id) : undefined;
}

export function isUnigramTokenizerJson(t: unknown): boolean {
  return isObj(t) && isObj(t.model) && t.model.type === 'Unigram';
}

export function tokenizerFromUnigramJson(t: Json, source: string, underscoreToSpace = false): UnigramTokenizer {
  const m = t.model as Json;
  const vocab = Array.isArray(m.vocab) ? m.vocab : [];
  if (vocab.length === 0 || vocab.length > MAX_PIECES) throw new TokenizerError('tokenizer-invalid', `${source}: model.vocab must hold 1 to ${MAX_PIECES} [piece, score] pairs`);
  const special = new Set<number>();
  for (const a of Array.isArray(t.added_tokens) ? t.added_tokens : []) if (isObj(a) && a.special === true && typeof a.id === 'number') special.add(a.id);
  const unkId = typeof m.unk_id === 'number' ? m.unk_id : 0;
  const pieces = vocab.map((e, i) => {
    if (!Array.isArray(e) || typeof e[0] !== 'string' || typeof e[1] !== 'number') throw new TokenizerError('tokenizer-invalid', `${source}: model.vocab[${i}] is not a [piece, score] pair`);
    return { piece: e[0], score: e[1], kind: i === unkId ? ('unknown' as const) : special.has(i) ? ('control' as const) : ('normal' as const) };
  });
  const byPiece = new Map(pieces.map((p, i) => [p.piece, i]));
  const eosId = eosFromTemplate(t, byPiece) ?? byPiece.get('</s>');
  if (eosId === undefined) throw new TokenizerError('tokenizer-invalid', `${source} appends no end-of-sequence token and has no </s>`);
  const pad = isObj(t.padding) && typeof t.padding.pad_id === 'number' ? t.padding.pad_id : eosId;
  const ms = metaspace(t.pre_tokenizer);
  const normalize = normalizerFn(t.normalizer, source);
  return new UnigramTokenizer(source, { pieces, unkId, eosId, padId: pad, dummyPrefix: ms.prepend, removeExtraWhitespace: false, splitWords: ms.split, ...(normalize ? { normalize } : {}) }, underscoreToSpace);
}
