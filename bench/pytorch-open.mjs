// bench/pytorch-open: opening a torch.save checkpoint (ViT-B/16-sized state dict, ~350 MB F32, 150 tensors
// + 2 transposed views) — Checkpoint Lens reads the zip directory and data.pkl only, so its open time should
// not grow with the weights. Peers in the same run: torch.load (Debian python3-torch; what users do),
// and a bare Python baseline (zipfile + read data.pkl + pickletools.genops, no object building).
// Also times a full streamed value pass (our `stats` on every tensor) against torch.load + per-tensor
// min/max/mean in torch. Usage: node bench/pytorch-open.mjs [--runs N] [--keep]
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, statSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { buildSync } from 'esbuild';
import { compare, table, timed, PY } from './lib.mjs';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 3) || 3;
const dir = join(tmpdir(), 'ckl-bench-pytorch');
mkdirSync(dir, { recursive: true });
const file = join(dir, 'vit_b16.pt');

if (!existsSync(file)) {
  execFileSync(PY, ['-c', `
import torch, collections
torch.manual_seed(0)
sd = collections.OrderedDict()
sd['cls_token'] = torch.randn(1, 1, 768); sd['pos_embed'] = torch.randn(1, 197, 768)
sd['patch_embed.proj.weight'] = torch.randn(768, 3, 16, 16); sd['patch_embed.proj.bias'] = torch.randn(768)
for i in range(12):
    p = f'blocks.{i}.'
    for n in ('norm1', 'norm2'): sd[p + n + '.weight'] = torch.ones(768); sd[p + n + '.bias'] = torch.zeros(768)
    sd[p + 'attn.qkv.weight'] = torch.randn(2304, 768); sd[p + 'attn.qkv.bias'] = torch.randn(2304)
    sd[p + 'attn.proj.weight'] = torch.randn(768, 768); sd[p + 'attn.proj.bias'] = torch.randn(768)
    sd[p + 'mlp.fc1.weight'] = torch.randn(3072, 768); sd[p + 'mlp.fc1.bias'] = torch.randn(3072)
    sd[p + 'mlp.fc2.weight'] = torch.randn(768, 3072); sd[p + 'mlp.fc2.bias'] = torch.randn(768)
sd['norm.weight'] = torch.ones(768); sd['norm.bias'] = torch.zeros(768)
sd['head.weight'] = torch.randn(512, 768)
sd['head.weight_t'] = sd['head.weight'].t()
sd['blocks.0.attn.qkv.weight_t'] = sd['blocks.0.attn.qkv.weight'].t()
torch.save(sd, '${file}')
`]);
}
console.log(`file: ${file}: ${(statSync(file).size / 1e6).toFixed(0)} MB`);

// Our reader, bundled once so start-up cost is Node's, not a TypeScript loader's.
const bundle = join(dir, 'ckl-open.cjs');
buildSync({ entryPoints: ['src/formats/open.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: bundle, logLevel: 'warning' });
const values = join(dir, 'ckl-values.cjs');
buildSync({ entryPoints: ['src/stats/tensorStats.ts'], bundle: true, platform: 'node', format: 'cjs', outfile: values, logLevel: 'warning' });
const ours = join(dir, 'ours-open.mjs');
writeFileSync(ours, `import { openCheckpoint } from '${bundle}';
const t0 = performance.now(); const r = await openCheckpoint(process.argv[2]); const ms = performance.now() - t0;
if (!r.ok) { console.error(r.error); process.exit(2); }
console.log(r.value.tensors.length, ms.toFixed(1));`);
const oursStats = join(dir, 'ours-stats.mjs');
writeFileSync(oursStats, `import { openCheckpoint } from '${bundle}'; import { tensorStats } from '${values}';
const r = await openCheckpoint(process.argv[2]); if (!r.ok) process.exit(2);
let s = 0; for (const t of r.value.tensors) { const st = await tensorStats(t, { bins: 64 }); s += st.mean ?? 0; } console.log(s);`);
const bare = join(dir, 'bare.py');
writeFileSync(bare, `import sys, zipfile, pickletools
z = zipfile.ZipFile(sys.argv[1]); name = next(n for n in z.namelist() if n.endswith('/data.pkl'))
print(sum(1 for _ in pickletools.genops(z.read(name))))`);
const torchLoad = join(dir, 'torch_load.py');
writeFileSync(torchLoad, `import sys, torch
sd = torch.load(sys.argv[1], map_location='cpu', weights_only=True); print(len(sd))`);
const torchStats = join(dir, 'torch_stats.py');
writeFileSync(torchStats, `import sys, torch
sd = torch.load(sys.argv[1], map_location='cpu', weights_only=True)
s = 0.0
for t in sd.values():
    f = t.float(); s += float(f.mean()); f.min(); f.max(); f.std(); torch.histc(f, 64)
print(s)`);

console.log('\n-- open (list tensors: names, dtypes, shapes, offsets)');
const openRows = compare(
  [
    { name: 'bare Python (zipfile + genops)', cmd: PY, args: [bare, file] },
    { name: 'checkpoint-lens openCheckpoint', cmd: process.execPath, args: [ours, file] },
    { name: 'torch.load(weights_only=True)', cmd: PY, args: [torchLoad, file] },
  ],
  runs,
);
table(openRows, 'bare Python (zipfile + genops)');
const inProcess = [0, 1, 2, 3, 4].map(() => Number(timed(process.execPath, [ours, file]).stdout.trim().split(' ')[1])).sort((a, b) => a - b)[2];
console.log(`openCheckpoint alone, in process (median of 5): ${inProcess} ms`);
console.log(`open: ours / torch.load = ${(openRows[1].ms / openRows[2].ms).toFixed(2)}, ours / bare = ${(openRows[1].ms / openRows[0].ms).toFixed(2)}`);

console.log('\n-- full value pass (min/max/mean/std/histogram of every tensor)');
const statRows = compare(
  [
    { name: 'torch.load + torch stats', cmd: PY, args: [torchStats, file] },
    { name: 'checkpoint-lens streamed stats', cmd: process.execPath, args: [oursStats, file] },
  ],
  runs,
);
table(statRows, 'torch.load + torch stats');
if (!process.argv.includes('--keep')) rmSync(dir, { recursive: true, force: true });
