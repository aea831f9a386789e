/**
 * Loading-log parser: text a user pasted → one typed report per model load. No meaning here
 * (that is keyRoles.ts + explainLog.ts); this module only reads what the libraries printed.
 *
 * Forms read (message formats: docs/explain-log.md; fixtures: test/fixtures/explain-log/):
 * - transformers v2/v3 ("Weights of X not initialized from pretrained model: [...]", "Weights from
 *   pretrained model not used in X: [...]"), v3/v4 ("Some weights of X were not initialized from the
 *   model checkpoint at P and are newly initialized: [...]", "Some weights of the model checkpoint
 *   [at P] were not used when initializing X: [...]", "… because the shapes did not match:" + "- k:
 *   found shape …" lines, the TF "Some layers …" variants, "All the weights of X were initialized …"),
 *   v5 LOAD REPORT tables (`Key | Status | Details`, merged indices `{0...11}` / `{0, 1, 2}`, with or
 *   without the header line, with ANSI colours or their pasted remains `[31m`);
 * - PyTorch strict loads ("Error(s) in loading state_dict for X:", "Missing key(s) in state_dict: …",
 *   "Unexpected key(s) …", "size mismatch for k: copying a param with shape …"), tracebacks included
 *   (the echoed source line `raise RuntimeError('Error(s) in loading state_dict for {}:…'.format(` is
 *   not a class name), `_IncompatibleKeys(missing_keys=[…], unexpected_keys=[…])`, user prints
 *   "missing keys: [...]";
 * - timm ("Missing keys (a, b) discovered while loading pretrained weights…", "Unexpected keys (…)
 *   found…", "Unable to convert pretrained X weights, using random init…");
 * - diffusers ("Cannot load <class '…X'> from P because the following keys are missing: a, b."),
 *   PEFT / transformers adapters ("Found missing adapter keys while loading the checkpoint: [...]",
 *   "Loading adapter weights from P led to unexpected keys not found in the model: [...]").
 * Every line may carry a logger prefix (`2026-05-08 13:44:20 | INFO | mod:fn:12 - `,
 * `WARNING:transformers.modeling_utils:`, `[WARNING|modeling_utils.py:4172] … >> `, glog), a `# `
 * comment or `> ` quote marker, `[rank0]:`; CRLF and ANSI escapes are removed first.
 *
 * Hand-written (no parser library fits pasted, partly elided Python reprs); bounded: linear scans,
 * set-notation expansion capped, no regex with nested quantifiers over the list bodies.
 */

export type LogSource = 'transformers' | 'transformers-v5' | 'pytorch' | 'timm' | 'diffusers' | 'peft';

/**
 * - `init-warning`: the load finished; missing tensors were newly (randomly) initialised, unexpected
 *   ones dropped.
 * - `strict-failure`: the load raised; nothing usable was produced.
 * - `non-strict`: `load_state_dict(strict=False)` returned these lists; missing tensors keep whatever
 *   the model held before (random init for a fresh model).
 */
export type ReportKind = 'init-warning' | 'strict-failure' | 'non-strict';

export interface MismatchedKey {
  name: string;
  checkpoint: number[] | null;
  model: number[] | null;
}

/** Facts the log states beside the lists. */
export type LogNote =
  | 'all-weights-initialised' // "All the weights of X were initialized from the model checkpoint"
  | 'all-checkpoint-weights-used' // "All model checkpoint weights were used when initializing X"
  | 'all-keys-matched' // `<All keys matched successfully>`
  | 'v5-table-without-header' // table rows with no "X LOAD REPORT from:" line before them
  | 'mismatch-raised' // v5: "You set `ignore_mismatched_sizes` to `False`, thus raising an error"
  | 'conversion-raised' // v5: automatic conversion errors raised
  | 'shapes-reinitialised' // v4: "newly initialized because the shapes did not match"
  | 'timm-head-adapted' // timm: "This is expected if model is being adapted."
  | 'timm-input-conv-random' // timm: "Unable to convert pretrained … weights, using random init"
  | 'timm-input-conv-converted' // timm: "Converted input conv … pretrained weights from 3 to N channel(s)"
  | 'adapter-load'; // the lists concern adapter (PEFT) weights

export interface LoadReport {
  source: LogSource;
  kind: ReportKind;
  /** Model class the log names (`BertForSequenceClassification`, `CLIP`, …). */
  modelClass: string | null;
  /** Checkpoint path or hub id the log names. */
  checkpoint: string | null;
  missing: string[];
  unexpected: string[];
  mismatched: MismatchedKey[];
  /** Some list had elided entries (`...`, `---snipped---`, `''`) or was cut off: counts are lower bounds. */
  elided: boolean;
  notes: LogNote[];
  /** 1-based line of the log where the report starts. */
  line: number;
  /** How many identical copies of this report the log holds (a traceback printed twice, …). */
  repeats: number;
}

export interface ParsedLoadLog {
  reports: LoadReport[];
}

// ---------------------------------------------------------------------------------------------
// Normalisation

/** ESC-based ANSI sequences, their pasted remains (`^[[31m`, `\033[0m`, a bare `[1m`). */
const ANSI_RE = /\u001b\[[0-9;?]*[ -/]*[@-~]|\u001b[@-Z\\-_]|\^\[\[[0-9;]*m|\\(?:033|x1b|u001b|e)\[[0-9;]*m|\[[0-9]{1,3}(?:;[0-9]{1,3})*m/g;

const LEVEL = '(?:DEBUG|INFO|WARNING|WARN|ERROR|CRITICAL|FATAL|NOTICE|TRACE|SUCCESS)';
/** Line prefixes removed (repeatedly) before a line is read. Each is anchored and bounded. */
const PREFIXES: RegExp[] = [
  /^[ \t]*(?:>[ \t]?)+/, // Markdown quote
  /^[ \t]*#+[ \t]?/, // `# ` comment
  /^[ \t]*\/\/[ \t]?/,
  /^[ \t]*(?:>>>|\.\.\.)[ \t]/, // Python prompt
  /^[ \t]*\[rank\d+\]:[ \t]?/, // torchrun
  /^[ \t]*E {2,}/, // pytest
  /^[ \t]*\[?\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?[ \t]*(?:[|:-][ \t]*)?/,
  /^[ \t]*\d{2}\/\d{2}\/\d{4} \d{2}:\d{2}:\d{2}(?:[.,]\d+)?[ \t]*(?:[|:-][ \t]*)?/,
  /^[ \t]*[IWEF]\d{4} \d{2}:\d{2}:\d{2}\.\d+[ \t]+\d+[ \t]+[^\s\]]+:\d+\][ \t]?/, // glog / absl
  new RegExp(`^[ \\t]*\\[${LEVEL}\\|[^\\]\\n]{0,200}\\][ \\t]*(?:\\d{4}-\\d{2}-\\d{2}[ T][\\d:.,]+[ \\t]*)?(?:>>[ \\t]*)?`), // HF examples
  new RegExp(`^[ \\t]*\\[?${LEVEL}\\]?[ \\t]*(?:[|:-][ \\t]*)?(?=\\S)`),
  /^[ \t]*(?:[\w<>]+\.){0,8}[\w<>]+(?::[\w<>]+){0,3}:\d+[ \t]+-[ \t]/, // loguru `mod:fn:12 - `
  /^[ \t]*(?:transformers|timm|diffusers|peft|open_clip|torch|accelerate|root|__main__)(?:\.[\w.]{1,200})?[ \t]*[:|-][ \t]*/, // logger name
];

function stripPrefixes(line: string): string {
  let s = line;
  for (let round = 0; round < 8; round++) {
    let changed = false;
    for (const re of PREFIXES) {
      const m = re.exec(s);
      if (m && m[0].length) {
        s = s.slice(m[0].length);
        changed = true;
      }
    }
    if (!changed) break;
  }
  return s;
}

/** Text with CRLF, ANSI and per-line prefixes removed; same number of lines as the input. */
export function normaliseLog(text: string): string {
  let t = text.replace(/\r\n?/g, '\n').replace(ANSI_RE, '');
  // A repr'd message (`RuntimeError('Error(s) … for X:\n\tMissing key(s) …')`) keeps `\n\t` as text.
  t = t.replace(/\\n(?=\\t|(?:Missing|Unexpected) key\(s\)|size mismatch for )/g, '\n').replace(/(\n)\\t/g, '$1\t');
  return t
    .split('\n')
    .map((l) => stripPrefixes(l).replace(/\s+$/, ''))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------
// Lists

/** `target.push(...src)` without spreading (a log list can hold millions of names). */
function append<T>(target: T[], src: readonly T[]): void {
  for (const x of src) target.push(x);
}

/** A tensor name written without quotes. */
const BARE_KEY_RE = /^[\w][\w.\-:/]*$/;
const ELISION_SHAPE_RE = /^(?:\.{2,}|…+|-{2,}|<[^>]*>$|\([^)]*\)$|\[\s*(?:\.{2,}|…)?\s*\]$|etc\.?$|(?:and )?\d+ (?:more|others?)|\+\s*\d)/i;
const ELISION_WORD_RE = /\b(?:snip(?:ped)?|truncated|omitted|elided|more)\b/i;
/** Tokens people use for "and more": `...`, `…`, `---snipped----`, `<200 more>`, `(truncated)`, `etc`. */
/** Inside quotes only these are elisions; anything else quoted is a (possibly hostile) tensor name. */
const QUOTED_ELISION_RE = /^(?:\.{2,}|…+|-{2,}.*|.*\bsnip(?:ped)?\b.*)$/i;
function isElision(t: string): boolean {
  return ELISION_SHAPE_RE.test(t) || ELISION_WORD_RE.test(t);
}
const QUOTES: Record<string, string> = { "'": "'", '"': '"', '`': '`', '\u2018': '\u2019', '\u201c': '\u201d' };
/** No list in a log is longer than this many items; beyond it we stop reading (and say elided). */
const MAX_ITEMS = 2_000_000;

interface ListRead {
  items: string[];
  elided: boolean;
  end: number;
}

/**
 * Reads list items from `p`: quoted (any quote style, Python escapes) or bare names, separated by
 * commas and whitespace. `close` is the closing bracket (`]`, `)`) or null for a sentence list that
 * ends with `.` (PyTorch, diffusers). Stops at the first token that is neither a name nor an elision.
 */
function readItems(s: string, p: number, close: string | null): ListRead {
  const items: string[] = [];
  let elided = false;
  const n = s.length;
  for (;;) {
    while (p < n && (s[p] === ' ' || s[p] === '\t' || s[p] === ',' || s[p] === '\n')) p++;
    if (p >= n) {
      if (close) elided = true; // cut off before the closing bracket
      break;
    }
    const c = s[p]!;
    if (close && c === close) {
      p++;
      break;
    }
    if (items.length >= MAX_ITEMS) {
      elided = true;
      break;
    }
    const q = QUOTES[c];
    if (q) {
      let j = p + 1;
      let out = '';
      let ok = false;
      let wraps = 0;
      while (j < n) {
        const d = s[j]!;
        if (d === '\\' && j + 1 < n && (s[j + 1] === q || s[j + 1] === '\\')) {
          out += s[j + 1];
          j += 2;
          continue;
        }
        if (d === q) {
          ok = true;
          break;
        }
        if (d === '\n') {
          // a name wrapped by the terminal or the issue tracker (`…value.weigh\nt'`): join it
          if (wraps++ < 2 && out.length && !/\s/.test(out) && j + 1 < n && /[\w.]/.test(s[j + 1]!)) {
            j++;
            continue;
          }
          break;
        }
        out += d;
        j++;
      }
      if (!ok) {
        // an unterminated quote: the paste was cut here
        elided = true;
        p = j;
        break;
      }
      p = j + 1;
      if (out === '' || (out.length <= 40 && QUOTED_ELISION_RE.test(out.trim()))) elided = true;
      else if (out.includes(', ') && out.split(', ').every((x) => BARE_KEY_RE.test(x))) append(items, out.split(', ')); // `[', '.join(keys)]`
      else items.push(out);
      // PyTorch: `"a", "b". ` — a period right after a quoted item ends the sentence list.
      if (!close && s[p] === '.' && (p + 1 >= n || /\s/.test(s[p + 1]!))) {
        p++;
        break;
      }
      continue;
    }
    // bare token: up to a comma, the closing bracket or the end of the line
    let j = p;
    while (j < n && s[j] !== ',' && s[j] !== '\n' && s[j] !== close) j++;
    // stray quotes around a bare name (`''name'` after a botched edit)
    let tok = s.slice(p, j).trim().replace(/^['"`\u2018\u201c]+|['"`\u2019\u201d]+$/g, '');
    let sentenceEnd = false;
    if (!close && tok.endsWith('.') && !tok.endsWith('..')) {
      tok = tok.slice(0, -1);
      sentenceEnd = true;
    }
    if (tok && BARE_KEY_RE.test(tok) && !/^\d+$/.test(tok)) {
      items.push(tok);
      p = j;
      if (sentenceEnd) break;
      continue;
    }
    if (tok && tok.length <= 80 && isElision(tok)) {
      elided = true;
      p = j;
      continue;
    }
    if (close) elided = true; // prose before the closing bracket: the list was cut
    break; // prose: the list is over
  }
  return { items, elided, end: p };
}

/** A Python list (`[...]`) starting within a short distance after `from`. */
function readBracketList(s: string, from: number): ListRead | null {
  let p = from;
  const limit = Math.min(s.length, from + 200);
  while (p < limit && s[p] !== '[') {
    if (!/\s/.test(s[p]!)) return null;
    p++;
  }
  if (s[p] !== '[') return null;
  return readItems(s, p + 1, ']');
}

function shapeList(s: string | undefined): number[] | null {
  if (s === undefined) return null;
  const t = s.trim();
  if (!t) return [];
  const v = t.split(',').map((x) => x.trim()).filter((x) => x !== '').map(Number);
  return v.every((x) => Number.isInteger(x) && x >= 0) ? v : null;
}

/** `torch.Size([2, 768])`, `[2, 768]`, `(2, 768)` → [2, 768]. */
const SHAPE = String.raw`(?:torch\.Size\(\s*)?[\[(]([^\])\n]*)[\])]\)?`;

// ---------------------------------------------------------------------------------------------
// Set notation (v5 tables)

const BRACE_RE = /\{([\d\s,.…]*)\}/;
const EXPANSION_CAP = 100_000;

function braceValues(inner: string): number[] | null {
  const range = /^\s*(\d+)\s*(?:\.{2,3}|…)\s*(\d+)\s*$/.exec(inner);
  if (range) {
    const a = Number(range[1]);
    const b = Number(range[2]);
    if (!(b >= a) || b - a >= EXPANSION_CAP) return null;
    return Array.from({ length: b - a + 1 }, (_, k) => a + k);
  }
  const parts = inner.split(',').map((x) => x.trim());
  if (!parts.length || !parts.every((x) => /^\d+$/.test(x))) return null;
  return parts.map(Number);
}

/** `a.layers.{0...11}.b` / `a.{0, 1, 2}.b` → one name per index (nested groups multiply; capped). */
export function expandSetNotation(name: string): string[] {
  const groups: { start: number; len: number; values: number[] }[] = [];
  let rest = name;
  let offset = 0;
  let product = 1;
  for (let m = BRACE_RE.exec(rest); m; m = BRACE_RE.exec(rest)) {
    const values = braceValues(m[1]!);
    if (!values) return [name];
    product *= values.length;
    if (product > EXPANSION_CAP) return [name];
    groups.push({ start: offset + m.index, len: m[0].length, values });
    offset += m.index + m[0].length;
    rest = rest.slice(m.index + m[0].length);
  }
  if (!groups.length) return [name];
  let out = [''];
  let pos = 0;
  for (const g of groups) {
    const lit = name.slice(pos, g.start);
    out = out.flatMap((o) => g.values.map((v) => o + lit + v));
    pos = g.start + g.len;
  }
  const tail = name.slice(pos);
  return out.map((o) => o + tail);
}

// ---------------------------------------------------------------------------------------------
// Events

const CLASS = String.raw`([A-Za-z_][\w.]*)`;
const PATH = String.raw`([^\n]*?)`;

interface Ctx {
  text: string;
  lineStarts: number[];
  reports: LoadReport[];
  /** Offset of the event that last touched `reports.at(-1)`. */
  lastAt: number;
  /** Ranges already read as part of another message (`_IncompatibleKeys(…)`). */
  consumed: [number, number][];
}

function lineOf(ctx: Ctx, at: number): number {
  let lo = 0;
  let hi = ctx.lineStarts.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (ctx.lineStarts[mid]! <= at) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

function newReport(ctx: Ctx, at: number, init: Partial<LoadReport> & Pick<LoadReport, 'source' | 'kind'>): LoadReport {
  const r: LoadReport = { modelClass: null, checkpoint: null, missing: [], unexpected: [], mismatched: [], elided: false, notes: [], line: lineOf(ctx, at), repeats: 1, ...init };
  ctx.reports.push(r);
  ctx.lastAt = at;
  return r;
}

function cleanPath(p: string | undefined): string | null {
  if (p === undefined) return null;
  const t = p.trim().replace(/^['"`]|['"`]$/g, '');
  return t ? t : null;
}

/**
 * The open report a transformers-style event joins: the last report when it is of the same source
 * and class and does not contradict the path; otherwise a new one.
 */
function joinOrOpen(ctx: Ctx, at: number, source: LogSource, kind: ReportKind, cls: string | null, path: string | null, accept?: (r: LoadReport) => boolean): LoadReport {
  const last = ctx.reports.at(-1);
  if (
    last &&
    last.source === source &&
    last.kind === kind &&
    (cls === null || last.modelClass === null || last.modelClass === cls) &&
    (path === null || last.checkpoint === null || last.checkpoint === path) &&
    (!accept || accept(last))
  ) {
    if (cls && !last.modelClass) last.modelClass = cls;
    if (path && !last.checkpoint) last.checkpoint = path;
    ctx.lastAt = at;
    return last;
  }
  return newReport(ctx, at, { source, kind, modelClass: cls, checkpoint: path });
}

function addNote(r: LoadReport, n: LogNote): void {
  if (!r.notes.includes(n)) r.notes.push(n);
}

type Handler = (ctx: Ctx, m: RegExpExecArray) => void;

interface EventRule {
  re: RegExp;
  run: Handler;
}

const V5_STATUSES = new Set(['MISSING', 'UNEXPECTED', 'MISMATCH', 'CONVERSION']);
/** The trailing name in a table cell: word characters, dots, dashes and `{…}` index groups. */
const KEY_TAIL_RE = /(?:[\w\-.]|\{[\d\s,.…]*\})+$/;

const RULES: EventRule[] = [
  // transformers v3/v4 (and TF) — newly initialised
  {
    re: new RegExp(
      String.raw`Some (?:weights|layers)(?: or buffers)? of (?:the TF 2\.0 model )?${CLASS} were not initialized from the (?:model checkpoint|PyTorch model|TF 2\.0 model)(?: at ${PATH})? and are newly initialized( because the shapes did not match)?\s*:`,
      'g',
    ),
    run(ctx, m) {
      const r = joinOrOpen(ctx, m.index, 'transformers', 'init-warning', m[1]!, cleanPath(m[2]), (x) => (m[3] ? !x.mismatched.length : !x.missing.length && !x.mismatched.length));
      const after = m.index + m[0].length;
      if (m[3]) {
        addNote(r, 'shapes-reinitialised');
        readShapeLines(ctx, r, after);
        return;
      }
      const l = readBracketList(ctx.text, after);
      if (l) {
        append(r.missing, l.items);
        r.elided ||= l.elided;
      }
    },
  },
  // transformers v3/v4 (and TF, diffusers) — unused
  {
    re: new RegExp(String.raw`Some (?:weights|layers) of the (?:PyTorch |TF 2\.0 )?model checkpoint(?: at ${PATH})? were not used when initializing (?:the (?:TF 2\.0|PyTorch) model )?${CLASS}\s*:`, 'g'),
    run(ctx, m) {
      const r = joinOrOpen(ctx, m.index, 'transformers', 'init-warning', m[2]!, cleanPath(m[1]), (x) => !x.unexpected.length && !x.missing.length && !x.mismatched.length);
      const l = readBracketList(ctx.text, m.index + m[0].length);
      if (l) {
        append(r.unexpected, l.items);
        r.elided ||= l.elided;
      }
    },
  },
  // transformers v2/v3 (pytorch-transformers wording)
  {
    re: new RegExp(String.raw`Weights of ${CLASS} not initialized from pretrained model\s*:`, 'g'),
    run(ctx, m) {
      const r = joinOrOpen(ctx, m.index, 'transformers', 'init-warning', m[1]!, null, (x) => !x.missing.length);
      const l = readBracketList(ctx.text, m.index + m[0].length);
      if (l) {
        append(r.missing, l.items);
        r.elided ||= l.elided;
      }
    },
  },
  {
    re: new RegExp(String.raw`Weights from pretrained model not used in ${CLASS}\s*:`, 'g'),
    run(ctx, m) {
      const r = joinOrOpen(ctx, m.index, 'transformers', 'init-warning', m[1]!, null, (x) => !x.unexpected.length);
      const l = readBracketList(ctx.text, m.index + m[0].length);
      if (l) {
        append(r.unexpected, l.items);
        r.elided ||= l.elided;
      }
    },
  },
  // transformers: all good
  {
    re: new RegExp(String.raw`All (?:the )?(?:weights|layers) of ${CLASS} were initialized from the (?:model checkpoint|PyTorch model|TF 2\.0 model)(?: at ${PATH})?\.(?=\s|$)`, 'g'),
    run(ctx, m) {
      addNote(joinOrOpen(ctx, m.index, 'transformers', 'init-warning', m[1]!, cleanPath(m[2]), (x) => !x.missing.length && !x.mismatched.length), 'all-weights-initialised');
    },
  },
  {
    re: new RegExp(String.raw`All (?:model checkpoint|PyTorch model|TF 2\.0 model) (?:weights|layers) were used when initializing (?:the (?:TF 2\.0|PyTorch) model )?${CLASS}\.`, 'g'),
    run(ctx, m) {
      addNote(joinOrOpen(ctx, m.index, 'transformers', 'init-warning', m[1]!, null, (x) => !x.unexpected.length), 'all-checkpoint-weights-used');
    },
  },
  // transformers v5 report header
  {
    re: /(?:^|[^\w.])([A-Za-z_]\w*) LOAD REPORT[ \t]*from:[ \t]*([^\n]*)/g,
    run(ctx, m) {
      newReport(ctx, m.index, { source: 'transformers-v5', kind: 'init-warning', modelClass: m[1]!, checkpoint: cleanPath(m[2]) });
    },
  },
  // transformers v5 report rows: a `|`-separated line with a status cell
  {
    re: /^[^\n]*\|[ \t]*(?:MISSING|UNEXPECTED|MISMATCH|CONVERSION)[ \t]*(?:\|[^\n]*)?$/gm,
    run(ctx, m) {
      const cells = m[0].split('|');
      const i = cells.findIndex((c, k) => k > 0 && V5_STATUSES.has(c.trim()));
      if (i < 1) return;
      const key = KEY_TAIL_RE.exec(cells[i - 1]!.trimEnd())?.[0]?.replace(/^\.+/, '');
      if (!key) return;
      const status = cells[i]!.trim();
      const details = cells.slice(i + 1).join('|').trim();
      let r = ctx.reports.at(-1);
      if (!r || r.source !== 'transformers-v5') {
        r = newReport(ctx, m.index, { source: 'transformers-v5', kind: 'init-warning' });
        addNote(r, 'v5-table-without-header');
      }
      ctx.lastAt = m.index;
      const names = expandSetNotation(key);
      if (status === 'MISSING') append(r.missing, names);
      else if (status === 'UNEXPECTED') append(r.unexpected, names);
      else if (status === 'MISMATCH') {
        const s = new RegExp(String.raw`ckpt:\s*${SHAPE}\s*vs\s*model:\s*${SHAPE}`).exec(details);
        for (const name of names) r.mismatched.push({ name, checkpoint: shapeList(s?.[1]), model: shapeList(s?.[2]) });
      } else {
        // CONVERSION: the weights could not be converted; the load raises after the report
        r.kind = 'strict-failure';
        addNote(r, 'conversion-raised');
        append(r.unexpected, names);
      }
    },
  },
  {
    re: /You set `?ignore_mismatched_sizes`? to `?False`?, thus raising an error/g,
    run(ctx, m) {
      const r = [...ctx.reports].reverse().find((x) => x.source === 'transformers-v5');
      if (r) {
        r.kind = 'strict-failure';
        addNote(r, 'mismatch-raised');
      }
    },
  },
  // PyTorch strict load
  {
    re: /Error\(s\) in loading state_dict for ([A-Za-z_][\w.]*):/g,
    run(ctx, m) {
      const lineStart = ctx.text.lastIndexOf('\n', m.index) + 1;
      const lineEnd = ctx.text.indexOf('\n', m.index);
      const line = ctx.text.slice(lineStart, lineEnd < 0 ? undefined : lineEnd);
      if (/\.format\(|\braise\b|\{[^}]*\}/.test(line) && !/^\s*\w*Error:/.test(line)) return; // echoed source
      newReport(ctx, m.index, { source: 'pytorch', kind: 'strict-failure', modelClass: m[1]! });
    },
  },
  {
    re: /(Missing|Unexpected) key\(s\) in state_dict:/g,
    run(ctx, m) {
      const l = readItems(ctx.text, m.index + m[0].length, null);
      if (!l.items.length) return; // echoed source (`'… state_dict: {}. '.format(`)
      const isMissing = m[1] === 'Missing';
      let r = pytorchReport(ctx, m.index);
      if ((isMissing ? r.missing : r.unexpected).length) r = newReport(ctx, m.index, { source: 'pytorch', kind: 'strict-failure' });
      append(isMissing ? r.missing : r.unexpected, l.items);
      r.elided ||= l.elided;
    },
  },
  {
    re: new RegExp(String.raw`size mismatch for ([^\s:]+): copying a param with shape ${SHAPE} from checkpoint, the shape in current model is ${SHAPE}`, 'g'),
    run(ctx, m) {
      pytorchReport(ctx, m.index).mismatched.push({ name: m[1]!, checkpoint: shapeList(m[2]), model: shapeList(m[3]) });
    },
  },
  {
    re: /_IncompatibleKeys\(\s*missing_keys\s*=/g,
    run(ctx, m) {
      const r = newReport(ctx, m.index, { source: 'pytorch', kind: 'non-strict' });
      const a = readBracketList(ctx.text, m.index + m[0].length);
      if (!a) return;
      append(r.missing, a.items);
      r.elided ||= a.elided;
      let end = a.end;
      const u = /^\s*,\s*unexpected_keys\s*=/.exec(ctx.text.slice(a.end, a.end + 200));
      if (u) {
        const b = readBracketList(ctx.text, a.end + u[0].length);
        if (b) {
          append(r.unexpected, b.items);
          r.elided ||= b.elided;
          end = b.end;
        }
      }
      ctx.consumed.push([m.index, end]);
    },
  },
  {
    re: /<All keys matched successfully>/g,
    run(ctx, m) {
      addNote(newReport(ctx, m.index, { source: 'pytorch', kind: 'non-strict' }), 'all-keys-matched');
    },
  },
  // user prints of load_state_dict(strict=False)'s result: `missing keys: [...]`
  {
    re: /(?<![\w(])(missing|unexpected)(?:[ _]keys?)[ \t]*(?:\(\d+\))?[ \t]*[:=][ \t]*(?=\[)/gi,
    run(ctx, m) {
      if (ctx.consumed.some(([a, b]) => m.index >= a && m.index < b)) return;
      const l = readBracketList(ctx.text, m.index + m[0].length);
      if (!l) return;
      const isMissing = m[1]!.toLowerCase() === 'missing';
      const last = ctx.reports.at(-1);
      const r =
        last && last.source === 'pytorch' && last.kind === 'non-strict' && !last.notes.length && (isMissing ? !last.missing.length : !last.unexpected.length) && m.index - ctx.lastAt < 400_000
          ? last
          : newReport(ctx, m.index, { source: 'pytorch', kind: 'non-strict' });
      ctx.lastAt = m.index;
      append(isMissing ? r.missing : r.unexpected, l.items);
      r.elided ||= l.elided;
    },
  },
  // timm
  {
    re: /(Missing|Unexpected) keys \(/g,
    run(ctx, m) {
      const l = readItems(ctx.text, m.index + m[0].length, ')');
      const tail = ctx.text.slice(l.end, l.end + 120);
      if (!/^\s*(?:discovered|found) while loading pretrained weights/.test(tail)) return;
      const isMissing = m[1] === 'Missing';
      const r = joinOrOpen(ctx, m.index, 'timm', 'init-warning', null, null, (x) => (isMissing ? !x.missing.length : !x.unexpected.length));
      append(isMissing ? r.missing : r.unexpected, l.items);
      r.elided ||= l.elided;
      if (/being adapted/.test(ctx.text.slice(l.end, l.end + 200))) addNote(r, 'timm-head-adapted');
    },
  },
  {
    re: /Unable to convert pretrained ([\w.\-]+) weights, using random init for this layer/g,
    run(ctx, m) {
      const r = joinOrOpen(ctx, m.index, 'timm', 'init-warning', null, null);
      r.missing.push(`${m[1]}.weight`);
      addNote(r, 'timm-input-conv-random');
    },
  },
  {
    re: /Converted input conv ([\w.\-]+) pretrained weights from \d+ to \d+ channel\(s\)/g,
    run(ctx, m) {
      addNote(joinOrOpen(ctx, m.index, 'timm', 'init-warning', null, null), 'timm-input-conv-converted');
    },
  },
  // diffusers
  {
    re: /Cannot load (?:<class '([\w.]+)'>|([A-Za-z_][\w.]*)) from ([^\n]*?) because the following keys are missing:/g,
    run(ctx, m) {
      const cls = (m[1] ?? m[2])!.split('.').at(-1)!;
      const r = newReport(ctx, m.index, { source: 'diffusers', kind: 'strict-failure', modelClass: cls, checkpoint: cleanPath(m[3]) });
      const l = readItems(ctx.text, m.index + m[0].length, null);
      append(r.missing, l.items);
      r.elided ||= l.elided;
    },
  },
  // PEFT / adapters
  {
    re: /Found missing adapter keys while loading the checkpoint:/g,
    run(ctx, m) {
      const l = readBracketList(ctx.text, m.index + m[0].length);
      if (!l) return;
      const r = joinOrOpen(ctx, m.index, 'peft', 'init-warning', null, null, (x) => !x.missing.length);
      addNote(r, 'adapter-load');
      append(r.missing, l.items);
      r.elided ||= l.elided;
    },
  },
  {
    re: /(?:Loading adapter weights from ([^\n]*?) led to|Found) unexpected keys (?:not found in the model|while loading the checkpoint)\s*:/g,
    run(ctx, m) {
      const l = readBracketList(ctx.text, m.index + m[0].length);
      if (!l) return;
      const r = joinOrOpen(ctx, m.index, 'peft', 'init-warning', null, cleanPath(m[1]), (x) => !x.unexpected.length);
      addNote(r, 'adapter-load');
      append(r.unexpected, l.items);
      r.elided ||= l.elided;
    },
  },
];

function pytorchReport(ctx: Ctx, at: number): LoadReport {
  const last = ctx.reports.at(-1);
  if (last && (last.source === 'pytorch' || last.source === 'transformers-v5' || last.source === 'transformers') && last.kind === 'strict-failure' && at - ctx.lastAt < 64 << 20) {
    ctx.lastAt = at;
    return last;
  }
  return newReport(ctx, at, { source: 'pytorch', kind: 'strict-failure' });
}

/** v4 "- name: found shape torch.Size([a]) in the checkpoint and torch.Size([b]) in the model instantiated" lines. */
function readShapeLines(ctx: Ctx, r: LoadReport, from: number): void {
  const re = new RegExp(String.raw`^\s*-\s*([^\s:]+): found shape ${SHAPE} in the checkpoint and ${SHAPE} in the model instantiated`, 'my');
  let p = from;
  // skip the rest of the header line
  const nl = ctx.text.indexOf('\n', p);
  p = nl < 0 ? ctx.text.length : nl + 1;
  for (;;) {
    re.lastIndex = p;
    const m = re.exec(ctx.text);
    if (!m) break;
    r.mismatched.push({ name: m[1]!, checkpoint: shapeList(m[2]), model: shapeList(m[3]) });
    const e = ctx.text.indexOf('\n', p);
    if (e < 0) break;
    p = e + 1;
  }
}

function uniq(a: string[]): string[] {
  return [...new Set(a)];
}

function reportKey(r: LoadReport): string {
  return JSON.stringify([r.source, r.kind, r.modelClass, r.checkpoint, r.missing, r.unexpected, r.mismatched, r.notes]);
}

/** Parses a pasted loading log into one report per model load, in log order. */
export function parseLoadReports(text: string): ParsedLoadLog {
  const clean = normaliseLog(text);
  const lineStarts = [0];
  for (let i = clean.indexOf('\n'); i >= 0; i = clean.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const events: { at: number; rule: EventRule; m: RegExpExecArray }[] = [];
  for (const rule of RULES) {
    rule.re.lastIndex = 0;
    for (let m = rule.re.exec(clean); m; m = rule.re.exec(clean)) {
      events.push({ at: m.index, rule, m });
      if (m[0].length === 0) rule.re.lastIndex++;
    }
  }
  events.sort((a, b) => a.at - b.at);
  const ctx: Ctx = { text: clean, lineStarts, reports: [], lastAt: 0, consumed: [] };
  for (const e of events) e.rule.run(ctx, e.m);

  const out: LoadReport[] = [];
  const seen = new Map<string, LoadReport>();
  for (const r of ctx.reports) {
    r.missing = uniq(r.missing);
    r.unexpected = uniq(r.unexpected);
    const s = new Set<string>();
    r.mismatched = r.mismatched.filter((x) => (s.has(x.name) ? false : (s.add(x.name), true)));
    const k = reportKey(r);
    const prev = seen.get(k);
    if (prev) {
      prev.repeats++;
      continue;
    }
    // a class header with nothing under it (e.g. a traceback line with the lists cut away) still counts
    seen.set(k, r);
    out.push(r);
  }
  return { reports: out };
}
