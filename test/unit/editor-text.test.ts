/** Names shown and copied honestly; status bar wording; "not checked" is never a check mark (issue 13). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pythonKeyAccess, type ViewModel } from '../../src/shared/protocol.js';
import { displayName, familyLabel, hasInvisible, markdownCode, plural, pythonString, visibleText } from '../../src/shared/text.js';
import { statusSummary } from '../../src/extension/statusText.js';
import { buildViewModel } from '../../src/extension/viewModel.js';
import { overlayFromAnalysis } from '../../src/extension/analysisOverlay.js';
import { inspectDocument } from '../../src/core/summary.js';
import { analyzeCheckpoint } from '../../src/analysis/analyze.js';
import type { Checkpoint, TensorInfo } from '../../src/core/checkpoint.js';

describe('visible names', () => {
  it('escapes bidi overrides, zero-width and control characters; keeps ordinary Unicode', () => {
    assert.equal(visibleText('layer.\u202eTHGIEW.evil'), 'layer.\\u202ETHGIEW.evil');
    assert.equal(visibleText('a\u200bb\u200dc\ufeffd\u0000e\u0007f\u2066g'), 'a\\u200Bb\\u200Dc\\uFEFFd\\u0000e\\u0007f\\u2066g');
    assert.equal(visibleText('tag\udb40\udc41'), 'tag\\u{E0041}');
    assert.equal(visibleText('Schicht.Gewichte.ü — ×12 日本'), 'Schicht.Gewichte.ü — ×12 日本');
    assert.ok(hasInvisible('x\u202e'));
    assert.ok(!hasInvisible('plain.name'));
  });
  it('shows the empty name as "" and keeps "..." distinct', () => {
    assert.equal(displayName(''), '""');
    assert.equal(displayName('...'), '...');
  });
  it('Copy as Python writes invisible characters as escapes that evaluate to the same key', () => {
    assert.equal(pythonString('layer.\u202eTHGIEW'), '"layer.\\u202eTHGIEW"');
    assert.equal(pythonString('z\u200bw'), '"z\\u200bw"');
    assert.equal(pythonString('t\udb40\udc41'), '"t\\U000e0041"');
    assert.equal(pythonKeyAccess('a\u202eb'), 'state_dict["a\\u202eb"]');
    assert.ok(!/[\u202e\u200b]/.test(pythonKeyAccess('a\u202e\u200bb')));
  });
  it('markdown code spans survive backticks and show escapes', () => {
    assert.equal(markdownCode('a`b'), '``a`b``');
    assert.equal(markdownCode('x\u202e'), '`x\\u202E`');
  });
});

describe('wording', () => {
  it('does not repeat the family in the variant, and counts in words', () => {
    assert.equal(familyLabel('timm ViT', 'ViT-B-16'), 'timm ViT-B-16');
    assert.equal(familyLabel('OpenAI / open_clip CLIP', 'ViT-B-16'), 'OpenAI / open_clip CLIP ViT-B-16');
    assert.equal(familyLabel(null, null), null);
    assert.equal(plural(1, 'tensor'), '1 tensor');
    assert.equal(plural(2, 'tensor'), '2 tensors');
    assert.equal(plural(1024, 'match', 'matches'), '1,024 matches');
  });
});

function llamaLike(): Checkpoint {
  const path = '/m/llama.safetensors';
  const specs: [string, number[]][] = [['model.embed_tokens.weight', [32, 8]]];
  for (let i = 0; i < 2; i++) for (const s of ['self_attn.q_proj.weight', 'self_attn.k_proj.weight', 'mlp.gate_proj.weight', 'input_layernorm.weight']) specs.push([`model.layers.${i}.${s}`, s.includes('norm') ? [8] : [8, 8]]);
  specs.push(['model.norm.weight', [8]]);
  let off = 0;
  const tensors: TensorInfo[] = specs.map(([name, shape]) => {
    const elementCount = shape.reduce((a, b) => a * b, 1);
    const t: TensorInfo = { name, dtype: 'F32', shape, elementCount, byteLength: elementCount * 4, data: { kind: 'contiguous', file: path, offset: off, length: elementCount * 4 } };
    off += elementCount * 4;
    return t;
  });
  return { format: 'safetensors', path, files: [{ path, size: off }], tensors, unreadable: [], metadata: { format: 'pt' }, problems: [] };
}

describe('what could not be checked says so', () => {
  it('a non-CLIP file: "not checked" in the view model and the status bar, probe unavailable with the reason', async () => {
    const ckpt = llamaLike();
    const r = await analyzeCheckpoint(ckpt, { valueBudgetBytes: 0 });
    assert.ok(r.ok);
    const vm = buildViewModel(inspectDocument(ckpt), overlayFromAnalysis(r.value, ckpt.tensors.map((t) => t.name)));
    assert.match(vm.notChecked ?? '', /not a recognised CLIP layout/);
    assert.match(vm.probeUnavailable ?? '', /needs a CLIP checkpoint/);
    const s = statusSummary(vm);
    assert.doesNotMatch(s.text, /\$\(check\)/);
    assert.match(s.text, /not checked/);
    assert.match(s.tooltip, /Not checked: not a recognised CLIP layout/);
    assert.deepEqual(vm.metadata, [['format', 'pt']]);
  });
  it('no analysis at all: not checked; a checked clean file gets the check mark', () => {
    const ckpt = llamaLike();
    const generic = buildViewModel(inspectDocument(ckpt), null);
    assert.ok(generic.notChecked);
    assert.doesNotMatch(statusSummary(generic).text, /\$\(check\)/);
    const clean: ViewModel = { ...generic, notChecked: undefined, findings: [] } as ViewModel;
    assert.match(statusSummary(clean).text, /\$\(check\) 0/);
  });
});

describe('all-zero tensors are marked', () => {
  it('tensors of a zero-weights / projection-zero finding carry the "zero" mark in the tree', async () => {
    const { clipTensorSpecs, writeClipFixture } = await import('../helpers/clipFixtures.js');
    const { tempDir } = await import('../helpers/tmp.js');
    const { openCheckpoint } = await import('../../src/formats/open.js');
    const dir = await tempDir('cl-zero-');
    const path = await writeClipFixture(dir, 'model.safetensors', clipTensorSpecs('openai-clip', 'ViT-B-16'), { values: 'none' });
    const c = await openCheckpoint(path);
    assert.ok(c.ok);
    const r = await analyzeCheckpoint(c.value, { valueBudgetBytes: 8 << 20 });
    assert.ok(r.ok);
    const zero = r.value.findings.find((f) => f.code === 'zero-weights');
    assert.ok(zero?.tensors?.length);
    const vm = buildViewModel(inspectDocument(c.value), overlayFromAnalysis(r.value, c.value.tensors.map((t) => t.name)));
    const marked: string[] = [];
    const stack = [...vm.roots];
    while (stack.length) {
      const n = stack.pop()!;
      if (n.mark === 'zero' && n.tensor) marked.push(n.tensor.name);
      stack.push(...(n.children ?? []));
    }
    for (const t of zero.tensors) assert.ok(marked.includes(t), `${t} marked all zeros`);
    assert.ok(marked.includes('visual.proj') || marked.includes('text_projection'), 'projection-zero tensors too');
  });
});

describe('findings as Markdown', () => {
  it('one bullet per finding with its code, consequence, evidence and tensors in code spans; hostile names inert', async () => {
    const { findingsMarkdown } = await import('../../src/extension/findingsMarkdown.js');
    const base = buildViewModel(inspectDocument(llamaLike()), null);
    const md = findingsMarkdown({
      ...base,
      title: 'm`x.safetensors',
      findings: [{ code: 'text-tower-missing', severity: 'error', message: 'The text tower is not in the file.', consequence: 'Zero-shot is at chance.', evidence: ['150 of 150 missing'], tensors: ['a\u202eb', '[link](http://x)', 'c', 'd', 'e', 'f'], tensorCount: 150 }],
    });
    assert.match(md, /^### Checkpoint Lens: ``m`x\.safetensors``/);
    assert.match(md, /- ❌ `text-tower-missing` — The text tower is not in the file\./);
    assert.match(md, /Zero-shot is at chance\./);
    assert.match(md, /`a\\u202Eb`, `\[link\]\(http:\/\/x\)`/);
    assert.match(md, /and 145 more/);
    assert.match(md, /❔ \*\*Not checked:\*\*/);
    assert.ok(!md.includes('\u202e'));
  });
});

describe('integrity problems lead', () => {
  it('with a shard missing, the first finding is the missing shard, not "the text tower is not in the file"', async () => {
    const { clipTensorSpecs, writeShardedClipFixture } = await import('../helpers/clipFixtures.js');
    const { tempDir } = await import('../helpers/tmp.js');
    const { openCheckpoint } = await import('../../src/formats/open.js');
    const { rmSync } = await import('node:fs');
    const dir = tempDir('cl-shard-');
    const { index, shardFiles } = await writeShardedClipFixture(dir, clipTensorSpecs('openai-clip', 'ViT-B-16'), 3);
    rmSync(shardFiles[2]!);
    const c = await openCheckpoint(index);
    assert.ok(c.ok);
    const r = await analyzeCheckpoint(c.value, { valueBudgetBytes: 0 });
    assert.ok(r.ok);
    const vm = buildViewModel(inspectDocument(c.value), overlayFromAnalysis(r.value, c.value.tensors.map((t) => t.name).concat(c.value.unreadable.map((u) => u.name))));
    assert.equal(vm.findings[0]?.code, 'shard-missing', vm.findings.map((f) => f.code).join(', '));
    assert.ok(vm.fileCount > 1, 'the shard column is shown');
  });
});

describe('editor wording', () => {
  it('CLI flags become editor actions', async () => {
    const { forEditor } = await import('../../src/extension/editorWording.js');
    assert.equal(forEditor('The shapes match no known configuration; the completeness check needs --target (e.g. --target openclip:ViT-B-16).'), 'The shapes match no known configuration; the completeness check needs a load target (Set Load Target…) (e.g. openclip:ViT-B-16).');
    assert.equal(forEditor('check the declared shapes or pass --target.'), 'check the declared shapes or set a load target (Set Load Target…).');
    // Hub access: the editor's way to give a token is its command (SecretStorage).
    assert.equal(forEditor('accept its conditions on its Hub page, then set HF_TOKEN (or run `huggingface-cli login`) and retry.'), 'accept its conditions on its Hub page, then run “Checkpoint Lens: Set Hugging Face Token…” (or set HF_TOKEN before starting VS Code) and retry.');
    assert.match(forEditor('it is private or does not exist; if it is private, set HF_TOKEN (or run `huggingface-cli login`).'), /Set Hugging Face Token/);
    assert.equal(forEditor('--target "x" is not known'), 'the load target "x" is not known');
    assert.doesNotMatch(forEditor('try --map auto'), /--/);
  });
});

describe('MoE blocks collapse at every level', () => {
  it('layers whose only child is an experts group collapse as ×N, and the experts inside as ×M', () => {
    const path = '/m/moe.safetensors';
    let off = 0;
    const tensors: TensorInfo[] = [];
    for (let l = 0; l < 4; l++)
      for (let e = 0; e < 8; e++)
        for (const w of ['w1', 'w2']) {
          const shape = [4, 4];
          tensors.push({ name: `model.layers.${l}.block_sparse_moe.experts.${e}.${w}.weight`, dtype: 'F32', shape, elementCount: 16, byteLength: 64, data: { kind: 'contiguous', file: path, offset: off, length: 64 } });
          off += 64;
        }
    const vm = buildViewModel(inspectDocument({ format: 'safetensors', path, files: [{ path, size: off }], tensors, unreadable: [], metadata: {}, problems: [] }), null);
    const find = (nodes: readonly import('../../src/shared/protocol.js').ViewNode[], label: string): import('../../src/shared/protocol.js').ViewNode | undefined => {
      for (const n of nodes) {
        if (n.label === label) return n;
        const f = find(n.children ?? [], label);
        if (f) return f;
      }
      return undefined;
    };
    const layers = find(vm.roots, 'model.layers') ?? find(vm.roots, 'layers');
    assert.equal(layers?.repeat, 4, JSON.stringify(vm.roots.map((r) => r.label)));
    const experts = find(layers!.children ?? [], '0.block_sparse_moe.experts');
    assert.equal(experts?.repeat, 8);
  });
});
