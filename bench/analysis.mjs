// bench/analysis: time of `inspect` WITH the CLIP analysis (family, towers, target check, findings,
// value reads under the 64 MiB budget) on 100,000-tensor files, vs the foundation's header-only
// document (`inspect --json --header-only`, also printed as a ratio), a bare Node header parse and
// Python's json+struct reader, all in the same run.
// Files: (1) bench/open's generic 100k file (unknown family), (2) a 100k-tensor OpenAI-layout CLIP
// (8,300 residual blocks) checked against --target openclip:ViT-B-16 (worst case: ~100k unexpected).
// Usage: npm run build && node bench/analysis.mjs [--runs N]
import { spawnSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compare, table, PY, writeHeaderBaselines, writeSparseSafetensors } from './lib.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const dir = join(tmpdir(), 'ckl-bench-analysis');
mkdirSync(dir, { recursive: true });

// (1) generic: same recipe as bench/open (names model.layers.N.block_i.*), F32 only here.
const generic = join(dir, 'generic-100k.safetensors');
{
  const e = [];
  for (let i = 0; i < 100_000; i++) e.push([`model.layers.${Math.floor(i / 100)}.block_${i % 100}.${i % 2 ? 'attn.qkv' : 'mlp.fc1'}.weight`, i % 10 === 0 ? [256] : [160, 160]]);
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

const { bareNode, pyReader } = writeHeaderBaselines(dir);

if (!existsSync('dist/cli.js')) throw new Error('run npm run build first');
for (const [label, file, target] of [['generic 100k (unknown family)', generic, null], ['CLIP-layout 100k vs openclip:ViT-B-16', clip, 'openclip:ViT-B-16']]) {
  console.log(`\n== ${label}`);
  const t = target ? ['--target', target] : [];
  const quiet = { stdio: ['ignore', 'ignore', 'pipe'], okCodes: [0, 1] };
  const rows = compare(
    [
      { name: 'bare Node (header + JSON.parse)', cmd: process.execPath, args: [bareNode, file] },
      { name: 'inspect --json --header-only', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--header-only', file], opts: quiet },
      { name: 'inspect --json --no-values', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', '--no-values', ...t, file], opts: quiet },
      { name: 'inspect --json (values ≤64 MiB)', cmd: process.execPath, args: ['dist/cli.js', 'inspect', '--json', ...t, file], opts: quiet },
      { name: 'Python json+struct (Debian)', cmd: PY, args: [pyReader, file] },
    ],
    runs,
  );
  table(rows, 'bare Node (header + JSON.parse)');
  // What the analysis adds on top of the reader's own document (the goal: within ~1.5×).
  const headerOnly = rows.find((r) => r.name === 'inspect --json --header-only');
  for (const r of rows.filter((x) => x.name.startsWith('inspect --json (') || x.name === 'inspect --json --no-values')) {
    console.log(`${r.name.padEnd(34)} ×${(r.ms / headerOnly.ms).toFixed(2)} vs inspect --json --header-only`);
  }
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'bench/analysis-inproc.mts', file, ...(target ? [target] : [])], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(r.stderr);
  console.log(`in-process medians (ms): ${r.stdout.trim()}`);
}
