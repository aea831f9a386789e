// bench/analysis: the cost of the model analysis (family / layout detection, target comparison,
// findings, tower trees) on big headers, against a bare Node header parse, in the same run:
//   1. end to end, fresh processes, interleaved: bare Node (header + JSON.parse), `inspect --json
//      --header-only` (the reader's document), `inspect --json --no-values` (the full analysis
//      without value reads, what the editor's worker computes), `inspect --json` (plus value reads
//      within the 64 MiB budget), Python json+struct, and the peer users run: Python
//      `safetensors.safe_open` listing every key's dtype and shape (bench/safetensors_keys_shapes.py);
//   2. in one process (bench/analysis-inproc.mts): (a) bare read + JSON.parse, (b) openCheckpoint,
//      (c) the analysis without value reads, (d) writing the `inspect --json` document; ratios to (a).
// Files: (1) bench/open's generic 100,000-tensor file (unknown family: every tensor in one
// uncollapsible tree), (2) a 99,614-tensor OpenAI-layout CLIP (8,300 residual blocks) checked
// against --target openclip:ViT-B-16 (worst case: ~99k unexpected), (3) a Llama-2-70B-shaped
// sharded checkpoint (723 tensors in 15 shards + index + config.json: the transformers check).
// Usage: npm run build && node bench/analysis.mjs [--runs N] [--py PYTHON_WITH_SAFETENSORS]
//        [--before OLD_CLI_JS] (times another build's dist/cli.js in the same run: before/after)
import { spawnSync } from 'node:child_process';
import { mkdirSync, existsSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, table, PY, writeHeaderBaselines, writeSparseSafetensors } from './lib.mjs';

const arg = (k) => (process.argv.includes(k) ? process.argv[process.argv.indexOf(k) + 1] : undefined);
const runs = Number(arg('--runs') ?? 5) || 5;
const before = arg('--before');
const dir = join(tmpdir(), 'ckl-bench-analysis');
mkdirSync(dir, { recursive: true });

// (1) generic: bench/open's recipe (names model.layers.N.block_i.*, F32/BF16/F16 in turn).
const generic = join(dir, 'generic-100k.safetensors');
{
  const e = [];
  const dtypes = ['F32', 'BF16', 'F16'];
  for (let i = 0; i < 100_000; i++) {
    const dtype = dtypes[i % 3];
    e.push([`model.layers.${Math.floor(i / 100)}.block_${i % 100}.${i % 2 ? 'attn.qkv' : 'mlp.fc1'}.weight`, i % 10 === 0 ? [256] : dtype === 'F32' ? [160, 160] : [160, 320], dtype]);
  }
  const s = writeSparseSafetensors(generic, e);
  console.log(`file 1: ${generic}: ${s.tensors} tensors, header ${s.headerMB.toFixed(1)} MB, ${s.dataGB.toFixed(2)} GB sparse`);
}
// (2) CLIP layout: OpenAI-layout ViT (width 768) with 4,150 vision + 4,150 text residual blocks.
const clip = join(dir, 'clip-100k.safetensors');
{
  const D = 768, T = 512, e = [['positional_embedding', [77, T]], ['text_projection', [T, 512]], ['logit_scale', []], ['visual.class_embedding', [D]], ['visual.positional_embedding', [197, D]], ['visual.proj', [D, 512]], ['visual.conv1.weight', [D, 3, 16, 16]], ['visual.ln_pre.weight', [D]], ['visual.ln_pre.bias', [D]]];
  const block = (p, W) => [['ln_1.weight', [W]], ['ln_1.bias', [W]], ['attn.in_proj_weight', [3 * W, W]], ['attn.in_proj_bias', [3 * W]], ['attn.out_proj.weight', [W, W]], ['attn.out_proj.bias', [W]], ['ln_2.weight', [W]], ['ln_2.bias', [W]], ['mlp.c_fc.weight', [4 * W, W]], ['mlp.c_fc.bias', [4 * W]], ['mlp.c_proj.weight', [W, 4 * W]], ['mlp.c_proj.bias', [W]]].map(([n, s]) => [p + n, s]);
  for (let i = 0; i < 4150; i++) e.push(...block(`visual.transformer.resblocks.${i}.`, D));
  e.push(['visual.ln_post.weight', [D]], ['visual.ln_post.bias', [D]]);
  for (let i = 0; i < 4150; i++) e.push(...block(`transformer.resblocks.${i}.`, T));
  e.push(['token_embedding.weight', [49408, T]], ['ln_final.weight', [T]], ['ln_final.bias', [T]]);
  const s = writeSparseSafetensors(clip, e);
  console.log(`file 2: ${clip}: ${s.tensors} tensors, header ${s.headerMB.toFixed(1)} MB, ${s.dataGB.toFixed(1)} GB sparse`);
}
// (3) Llama-2-70B shapes (80 layers, hidden 8192, 8 KV heads, MLP 28672, vocab 32000), BF16, 15 shards.
const llamaDir = join(dir, 'llama-70b');
const llama = join(llamaDir, 'model.safetensors.index.json');
{
  mkdirSync(llamaDir, { recursive: true });
  const H = 8192, I = 28672, KV = 1024, V = 32000, L = 80, shards = 15;
  const all = [['model.embed_tokens.weight', [V, H]]];
  for (let l = 0; l < L; l++) {
    const p = `model.layers.${l}.`;
    all.push([`${p}input_layernorm.weight`, [H]], [`${p}mlp.down_proj.weight`, [H, I]], [`${p}mlp.gate_proj.weight`, [I, H]], [`${p}mlp.up_proj.weight`, [I, H]], [`${p}post_attention_layernorm.weight`, [H]]);
    all.push([`${p}self_attn.k_proj.weight`, [KV, H]], [`${p}self_attn.o_proj.weight`, [H, H]], [`${p}self_attn.q_proj.weight`, [H, H]], [`${p}self_attn.v_proj.weight`, [KV, H]]);
  }
  all.push(['model.norm.weight', [H]], ['lm_head.weight', [V, H]]);
  const per = Math.ceil(all.length / shards);
  const weightMap = {};
  let bytes = 0;
  for (let k = 0; k < shards; k++) {
    const f = `model-${String(k + 1).padStart(5, '0')}-of-${String(shards).padStart(5, '0')}.safetensors`;
    const part = all.slice(k * per, (k + 1) * per).map(([n, s]) => [n, s, 'BF16']);
    bytes += writeSparseSafetensors(join(llamaDir, f), part).dataGB;
    for (const [n] of part) weightMap[n] = f;
  }
  writeFileSync(llama, JSON.stringify({ metadata: { total_size: Math.round(bytes * 1e9) }, weight_map: weightMap }, null, 2));
  writeFileSync(join(llamaDir, 'config.json'), JSON.stringify({ architectures: ['LlamaForCausalLM'], model_type: 'llama', hidden_size: H, intermediate_size: I, num_attention_heads: 64, num_key_value_heads: KV / 128, num_hidden_layers: L, vocab_size: V, rms_norm_eps: 1e-5, max_position_embeddings: 4096, tie_word_embeddings: false, torch_dtype: 'bfloat16', hidden_act: 'silu' }, null, 2));
  console.log(`file 3: ${llama}: ${all.length} tensors in ${shards} shards, ${bytes.toFixed(0)} GB sparse, with config.json`);
}

const { bareNode, pyReader } = writeHeaderBaselines(dir);
// The peer needs Python's `safetensors` package: --py names an interpreter that has it.
const peerPy = arg('--py') ?? PY;
const hasPeer = spawnSync(peerPy, ['-c', 'import safetensors, numpy; print(safetensors.__version__)'], { encoding: 'utf8' });
const peerVersion = hasPeer.status === 0 ? hasPeer.stdout.trim() : null;
if (!peerVersion) console.log(`(no safetensors package for ${peerPy}: the safe_open peer is left out; pass --py PYTHON)`);
else console.log(`peer: ${peerPy}, safetensors ${peerVersion}`);

if (!existsSync('dist/cli.js')) throw new Error('run npm run build first');
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
for (const [label, file, target] of [
  ['generic 100k (unknown family)', generic, null],
  ['CLIP-layout 100k vs openclip:ViT-B-16', clip, 'openclip:ViT-B-16'],
  ['Llama-2-70B shapes, 15 shards + config.json', llama, null],
]) {
  console.log(`\n== ${label} (load average before: ${load()})`);
  const t = target ? ['--target', target] : [];
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'], okCodes: [0, 1] };
  const rows = compare(
    [
      { name: 'bare Node (header + JSON.parse)', cmd: process.execPath, args: [bareNode, file] },
      { name: 'inspect --json --header-only', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--header-only', file], opts: quiet },
      { name: 'inspect --json --no-values', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--no-values', ...t, file], opts: quiet },
      ...(before ? [{ name: 'before: inspect --json --no-values', cmd: process.execPath, args: [before, 'inspect', '--json', '--no-values', ...t, file], opts: quiet }] : []),
      { name: 'inspect --json (values ≤64 MiB)', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', ...t, file], opts: quiet },
      { name: 'Python json+struct (Debian)', cmd: PY, args: [pyReader, file] },
      ...(peerVersion ? [{ name: 'Python safe_open keys+shapes', cmd: peerPy, args: ['bench/safetensors_keys_shapes.py', file] }] : []),
    ],
    runs,
  );
  table(rows, 'bare Node (header + JSON.parse)');
  const by = (n) => rows.find((r) => r.name === n);
  const noValues = by('inspect --json --no-values');
  console.log(`inspect --json --no-values: ×${(noValues.ms / by('inspect --json --header-only').ms).toFixed(2)} vs --header-only${by('Python safe_open keys+shapes') ? `, ×${(noValues.ms / by('Python safe_open keys+shapes').ms).toFixed(2)} vs safe_open keys+shapes` : ''}${before ? `, ×${(noValues.ms / by('before: inspect --json --no-values').ms).toFixed(2)} vs before` : ''}`);
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/analysis-inproc.mts', file, '--runs', String(runs), ...(target ? ['--target', target] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  console.log(r.stdout.trim());
  console.log(`(load average after: ${load()})`);
}
